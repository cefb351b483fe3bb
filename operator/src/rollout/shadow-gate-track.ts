import type { ModelDeployment } from '../api/model-deployment.js';
import type { ShadowSpec } from '../api/model-deployment-spec.js';

/** The window status.shadow would use; the gate measures from its own start instead. */
const GATE_STATUS_WINDOW_SECONDS = 300;

/**
 * The resource as the shadow track machinery sees it while the shadow gate runs: the
 * candidate of spec.canary in the place of spec.shadow (which the schema forbids beside
 * spec.canary.shadow). The children builders and the observation then run the candidate on
 * the shadow track, unreachable by users, and point the stable pods' mirroring at it,
 * without knowing about the gate. Without spec.canary.shadow the resource is returned as is.
 */
export function withGateShadow(md: ModelDeployment): ModelDeployment {
  const canary = md.spec.canary;
  const gate = canary?.shadow;
  if (canary === undefined || gate === undefined) return md;
  const shadow: ShadowSpec = {
    model: canary.model,
    percent: gate.percent,
    replicas: gate.replicas,
    tolerance: gate.tolerance,
    windowSeconds: GATE_STATUS_WINDOW_SECONDS,
  };
  return { ...md, spec: { ...md.spec, shadow } };
}
