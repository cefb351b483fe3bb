import { z } from 'zod';
import { modelDeploymentSpec, type ModelDeploymentSpec } from './model-deployment-spec.js';
import { modelDeploymentStatus, type ModelDeploymentStatus } from './model-deployment-status.js';

export const API_GROUP = 'modeldeploy.io';
export const API_VERSION = 'v1alpha1';
export const KIND = 'ModelDeployment';
export const PLURAL = 'modeldeployments';
export const SINGULAR = 'modeldeployment';
export const SHORT_NAMES = ['mdep'] as const;

/**
 * Names become Deployment, Service and HPA names with a "-canary" suffix, and Service
 * names must be DNS-1035 labels (63 characters, starting with a letter).
 */
export const MAX_NAME_LENGTH = 56;
export const NAME_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  generation: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
}

/** A ModelDeployment as the operator works with it: spec defaulted and validated. */
export interface ModelDeployment {
  apiVersion: `${typeof API_GROUP}/${typeof API_VERSION}`;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: ModelDeploymentSpec;
  status: ModelDeploymentStatus;
}

export type ParseResult = { ok: true; value: ModelDeployment } | { ok: false; errors: string[] };

const metadataSchema = z.object({
  name: z
    .string()
    .max(
      MAX_NAME_LENGTH,
      `metadata.name must be at most ${MAX_NAME_LENGTH} characters so "-canary" children fit`,
    )
    .regex(
      new RegExp(NAME_PATTERN),
      'metadata.name must be a DNS-1035 label (a-z, 0-9, "-", starting with a letter)',
    ),
  namespace: z.string().min(1),
  uid: z.string().default(''),
  generation: z.number().int().default(0),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deletionTimestamp: z.union([z.string(), z.date().transform((d) => d.toISOString())]).optional(),
});

const resourceSchema = z.object({
  metadata: metadataSchema,
  spec: modelDeploymentSpec,
  status: modelDeploymentStatus.optional(),
});

/** Formats zod issues as "spec.autoscaling.minReplicas: <message>", the form kubectl users know. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('');
    return `${path.replace(/^\./, '') || '<root>'}: ${issue.message}`;
  });
}

/**
 * Validates and defaults a ModelDeployment read from the API server. The server already
 * enforced the CRD schema, so a failure here means the CRD is older than the operator
 * (or was edited); the caller reports it in a condition instead of crashing.
 */
export function parseModelDeployment(raw: unknown): ParseResult {
  const parsed = resourceSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues) };
  const { metadata, spec, status } = parsed.data;
  return {
    ok: true,
    value: {
      apiVersion: `${API_GROUP}/${API_VERSION}`,
      kind: KIND,
      metadata,
      spec,
      status: status ?? {},
    },
  };
}

/** The name the model is served under. */
export function servedModelName(md: Pick<ModelDeployment, 'metadata' | 'spec'>): string {
  return md.spec.model.name ?? md.metadata.name;
}
