import type { Attributes } from '@opentelemetry/api';

/** The spans the runtime makes (docs/observability.md says what each covers). */
export const SPAN = {
  decode: 'decode',
  queue: 'queue',
  batch: 'batch',
  inference: 'inference',
  encode: 'encode',
} as const;

/** Attributes of our own, namespaced as OpenTelemetry asks of non-convention names. */
export const ATTR = {
  modelName: 'modeldeploy.model.name',
  modelVersion: 'modeldeploy.model.version',
  modelTrack: 'modeldeploy.model.track',
  requestId: 'modeldeploy.request.id',
  batchRequests: 'modeldeploy.batch.requests',
  batchRows: 'modeldeploy.batch.rows',
  inferenceRows: 'modeldeploy.inference.rows',
  isolationRun: 'modeldeploy.inference.isolation',
  sessionThread: 'modeldeploy.session.thread',
} as const;

export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
  readonly track: string;
}

export function modelAttributes(model: ModelIdentity): Attributes {
  return {
    [ATTR.modelName]: model.name,
    [ATTR.modelVersion]: model.version,
    [ATTR.modelTrack]: model.track,
  };
}
