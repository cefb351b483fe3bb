import { RUNTIME_PORT_NAME } from '../resources/runtime-contract.js';
import type { ModelDeploymentObject } from './cluster-objects.js';

/** Where one inference goes: which Service, through which path of the runtime. */
export interface PredictTarget {
  service: string;
  route: string;
  /** Path under the API server, through its service proxy. */
  proxyPath: string;
}

export type TargetChoice = { ok: true; target: PredictTarget } | { ok: false; reason: string };

/**
 * The Service to send to: the main Service (which splits traffic as clients see it), or
 * with `version` the track Service serving that version, so a candidate can be tried by
 * hand during a rollout. A KServe v2 body (`inputs` as a list of named tensors) goes to
 * the v2 infer route, anything else to /predict.
 */
export function predictTarget(
  md: ModelDeploymentObject,
  request: unknown,
  version?: string,
): TargetChoice {
  const name = md.metadata.name;
  let service = name;
  if (version !== undefined) {
    const tracks = servedVersions(md);
    const track = tracks.find((t) => t.version === version);
    if (track === undefined) {
      const serving = tracks.map((t) => `${t.version} (${t.track})`).join(', ') || 'nothing yet';
      return { ok: false, reason: `no such version: ${name} serves ${serving}, not ${version}` };
    }
    service = `${name}-${track.track}`;
  }
  const model = md.status?.model ?? md.spec.model.name ?? name;
  const route = isV2(request) ? `/v2/models/${encodeURIComponent(model)}/infer` : '/predict';
  const ns = encodeURIComponent(md.metadata.namespace ?? 'default');
  const proxyPath = `/api/v1/namespaces/${ns}/services/${encodeURIComponent(service)}:${RUNTIME_PORT_NAME}/proxy${route}`;
  return { ok: true, target: { service, route, proxyPath } };
}

/** The versions pods of each track run now, as status reports them. */
export function servedVersions(
  md: ModelDeploymentObject,
): { track: 'stable' | 'canary'; version: string }[] {
  const out: { track: 'stable' | 'canary'; version: string }[] = [];
  const stable = md.status?.stable?.version;
  if (stable !== undefined) out.push({ track: 'stable', version: stable });
  const canary = md.status?.canary;
  if (canary?.version !== undefined && (canary.readyReplicas ?? 0) > 0) {
    out.push({ track: 'canary', version: canary.version });
  }
  return out;
}

function isV2(request: unknown): boolean {
  if (typeof request !== 'object' || request === null) return false;
  const inputs = (request as { inputs?: unknown }).inputs;
  return Array.isArray(inputs);
}

/** Which track served an answer, from the version the runtime put in x-model-version. */
export function servingTrack(md: ModelDeploymentObject, version: string | undefined): string {
  if (version === undefined) return 'unknown version (no x-model-version header)';
  const tracks = servedVersions(md)
    .filter((t) => t.version === version)
    .map((t) => t.track);
  return tracks.length > 0 ? `${version} (${tracks.join('/')})` : version;
}
