import type { CanarySpec, ModelDeploymentSpec } from '../api/model-deployment-spec.js';
import type { AnalysisResult, CanaryPhase, CanaryStatus } from '../api/model-deployment-status.js';
import { abortReason, type AbortReason } from './canary-identity.js';
import {
  MIN_REQUEUE_MS,
  type ConditionHint,
  type Context,
  type RolloutDecision,
  type RolloutEvent,
  type RolloutInput,
  type StableModel,
} from './rollout-types.js';
import { ratioWeight } from './replica-ratio.js';
import { NO_CANARY, pickTraffic, trafficFor, type Traffic } from './traffic.js';

/** Turning a phase outcome into the decision the controller acts on. */

/**
 * The share of traffic the canary really gets, for status: from ready pods under
 * replicaRatio (one Service over both tracks), the route weight once a canary pod is ready
 * under gatewayAPI. Without a readiness observation, the share the pod counts aim at.
 */
function servedWeight(ctx: Context, traffic: Traffic, input: RolloutInput): number {
  if (!traffic.runCanary) return 0;
  const readyStable = input.stable.readyReplicas;
  if (readyStable === undefined) return traffic.effectiveWeight;
  const readyCanary = input.canary.readyReplicas;
  if (ctx.spec.traffic?.router === 'gatewayAPI') return readyCanary > 0 ? traffic.canaryWeight : 0;
  return ratioWeight(readyStable, readyCanary);
}

export function stableSpecModel(spec: ModelDeploymentSpec): StableModel {
  const { version, uri, sha256 } = spec.model;
  return sha256 === undefined ? { version, uri } : { version, uri, sha256 };
}

export function canaryModel(canary: CanarySpec): StableModel {
  const { version, uri, sha256 } = canary.model;
  return sha256 === undefined ? { version, uri } : { version, uri, sha256 };
}

/** Drops undefined fields so equal states compare equal (the controller writes on change). */
function compact(status: CanaryStatus): CanaryStatus {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status)) if (value !== undefined) out[key] = value;
  return out as CanaryStatus;
}

export interface Outcome {
  phase: CanaryPhase;
  /** Requested canary weight. */
  weight: number;
  step: number | undefined;
  stepStartedAt: string | undefined;
  failedChecks: number;
  /** Inconclusive analysis checks in a row at this step. */
  inconclusiveChecks?: number | undefined;
  message: string;
  lastAnalysis: AnalysisResult | undefined;
  events: RolloutEvent[];
  requeueAfterMs: number | undefined;
  stalled?: ConditionHint;
  /** Why, when phase is Aborted. */
  abortReason?: AbortReason;
  /** status.canary.shadowGate; default: the previous one while the rollout is the same. */
  shadowGate?: CanaryStatus['shadowGate'];
}

export function decision(ctx: Context, input: RolloutInput, o: Outcome): RolloutDecision {
  const traffic = trafficFor(ctx, o.phase, o.weight);
  const status = compact({
    version: ctx.canary.model.version,
    replicas: input.canary.replicas,
    readyReplicas: input.canary.readyReplicas,
    weight: servedWeight(ctx, traffic, input),
    phase: o.phase,
    step: o.step,
    stepStartedAt: o.stepStartedAt,
    failedChecks: o.failedChecks,
    inconclusiveChecks: o.inconclusiveChecks || undefined,
    specHash: ctx.hash,
    message: o.message,
    lastAnalysis: o.lastAnalysis,
    abortReason: o.phase === 'Aborted' ? o.abortReason : undefined,
    shadowGate:
      o.shadowGate ??
      (input.previous?.specHash === ctx.hash ? input.previous.shadowGate : undefined),
  });
  const promoting = o.phase === 'Promoting' || o.phase === 'Promoted';
  const conditions: RolloutDecision['conditions'] = {};
  if (
    o.phase === 'Shadowing' ||
    o.phase === 'Verifying' ||
    o.phase === 'Progressing' ||
    o.phase === 'Promoting'
  ) {
    conditions.progressing = { reason: `Canary${o.phase}`, message: o.message };
  }
  const reason = abortReason(status);
  if (reason !== undefined && reason !== 'AbortedByUser') {
    conditions.degraded = { reason, message: o.message };
    conditions.stalled = { reason, message: o.message };
  }
  if (o.stalled) conditions.stalled = o.stalled;
  return {
    status,
    canaryWeight: traffic.canaryWeight,
    canaryReplicas: traffic.canaryReplicas,
    stableReplicas: traffic.stableReplicas,
    runCanary: traffic.runCanary,
    stableModel: promoting ? canaryModel(ctx.canary) : stableSpecModel(ctx.spec),
    shadowCandidate: o.phase === 'Shadowing',
    events: o.events,
    requeueAfterMs:
      o.requeueAfterMs === undefined ? undefined : Math.max(MIN_REQUEUE_MS, o.requeueAfterMs),
    conditions,
  };
}

/** The decision when no rollout is wanted: stable serves spec.model, no canary. */
export function noRollout(spec: ModelDeploymentSpec, events: RolloutEvent[]): RolloutDecision {
  return {
    status: undefined,
    ...pickTraffic(NO_CANARY),
    stableModel: stableSpecModel(spec),
    shadowCandidate: false,
    events,
    requeueAfterMs: undefined,
    conditions: {},
  };
}
