import { HttpError } from '../errors.js';

/** What a route is for: decides auth (health/metrics open by default) and in-flight counting. */
export type RouteCategory = 'inference' | 'metadata' | 'health' | 'metrics';

declare module 'fastify' {
  interface FastifyContextConfig {
    category?: RouteCategory;
    /** The route label on metrics when the URL pattern is not what users expect. */
    metricsRoute?: string;
  }
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** 404 unless the URL names the served model (and version, when given). */
export function checkModelName(
  served: { readonly modelName: string; readonly modelVersion: string },
  name: string,
  version?: string,
): void {
  if (name !== served.modelName) {
    throw new HttpError(404, `model '${name}' not found; this server serves '${served.modelName}'`);
  }
  if (version !== undefined && version !== served.modelVersion) {
    throw new HttpError(
      404,
      `model '${name}' version '${version}' not found; this server serves version '${served.modelVersion}'`,
    );
  }
}
