import type { ModelDeployment } from '../api/model-deployment.js';
import type { ShadowStatus } from '../api/model-deployment-status.js';
import type { DeploymentObservation } from '../status/observation.js';
import type { ShadowMeasurement } from './measure-shadow.js';

/** How often status.shadow's Prometheus figures are refreshed (and the resource requeued). */
export const SHADOW_MEASURE_INTERVAL_MS = 30_000;

/**
 * Whether this reconcile should read the shadow figures again: spec.shadow.prometheusUrl is
 * set and the last reading is missing, unreadable or older than the interval.
 */
export function shadowMeasurementDue(md: ModelDeployment, now: Date): boolean {
  if (md.spec.shadow?.prometheusUrl === undefined) return false;
  const last = Date.parse(md.status.shadow?.measuredAt ?? '');
  return Number.isNaN(last) || now.getTime() - last >= SHADOW_MEASURE_INTERVAL_MS;
}

/**
 * status.shadow: the track's version and pods, with this reconcile's measurement, or the
 * one already in status while it is not due again. Undefined without spec.shadow.
 */
export function shadowStatus(
  md: ModelDeployment,
  observed: DeploymentObservation | undefined,
  measurement: ShadowMeasurement | undefined,
): ShadowStatus | undefined {
  const spec = md.spec.shadow;
  if (spec === undefined) return undefined;
  const previous = md.status.shadow;
  const kept: ShadowMeasurement | undefined =
    spec.prometheusUrl === undefined
      ? undefined
      : (measurement ?? (previous !== undefined ? measurementOf(previous) : undefined));
  return {
    version: observed?.version ?? spec.model.version,
    replicas: observed?.replicas ?? 0,
    readyReplicas: observed?.readyReplicas ?? 0,
    ...kept,
  };
}

function measurementOf(status: ShadowStatus): ShadowMeasurement {
  const { version: _v, replicas: _r, readyReplicas: _ready, ...measurement } = status;
  return measurement;
}
