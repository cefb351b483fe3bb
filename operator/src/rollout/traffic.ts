import type { CanaryPhase, CanaryStatus } from '../api/model-deployment-status.js';
import { ratioWeight, replicaSplit } from './replica-ratio.js';
import type { Context, RolloutInput } from './rollout-types.js';

export function totalReplicas(input: RolloutInput): number {
  if (input.totalReplicas !== undefined) return input.totalReplicas;
  return input.spec.autoscaling?.minReplicas ?? input.spec.replicas;
}

export interface Traffic {
  canaryWeight: number;
  canaryReplicas: number;
  stableReplicas: number | undefined;
  runCanary: boolean;
  /** What status.canary.weight reports. */
  effectiveWeight: number;
}

export const NO_CANARY: Traffic = {
  canaryWeight: 0,
  canaryReplicas: 0,
  stableReplicas: undefined,
  runCanary: false,
  effectiveWeight: 0,
};

/** Pods and weights for a phase at a requested weight. */
export function trafficFor(ctx: Context, phase: CanaryPhase, weight: number): Traffic {
  const router = ctx.spec.traffic?.router ?? 'replicaRatio';
  const fixed = ctx.canary.replicas;
  if (phase === 'Aborted' || phase === 'Promoted') return NO_CANARY;
  if (phase === 'Promoting' && weight === 0) return NO_CANARY;
  if (phase === 'Verifying' || phase === 'Pending') {
    // Start as many pods as the first step needs; no traffic share is asked for yet.
    const first = ctx.canary.steps[0]?.weight ?? 0;
    const pods =
      fixed ?? (router === 'replicaRatio' ? Math.max(1, replicaSplit(ctx.total, first).canary) : 1);
    return { ...NO_CANARY, canaryReplicas: pods, runCanary: true };
  }
  if (router === 'gatewayAPI') {
    return {
      canaryWeight: weight,
      canaryReplicas: fixed ?? 1,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: weight,
    };
  }
  if (weight === 0) {
    // A weight-0 step keeps canary pods warm; in a shared Service they still get a share.
    const pods = fixed ?? 1;
    return {
      canaryWeight: 0,
      canaryReplicas: pods,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: ratioWeight(ctx.total, pods),
    };
  }
  const split = replicaSplit(ctx.total, weight);
  const pods = fixed ?? split.canary;
  if (phase === 'Promoting') {
    // The stable track is being switched to the candidate: give it its full count back, so
    // it is judged available with real pods (never 0 after a 100% step) before the canary
    // goes away. The canary keeps its pods meanwhile.
    return {
      canaryWeight: weight,
      canaryReplicas: pods,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: ratioWeight(ctx.total, pods),
    };
  }
  return {
    canaryWeight: weight,
    canaryReplicas: pods,
    stableReplicas: split.stable,
    runCanary: true,
    effectiveWeight: ratioWeight(split.stable, pods),
  };
}

export function pickTraffic(t: Traffic) {
  return {
    canaryWeight: t.canaryWeight,
    canaryReplicas: t.canaryReplicas,
    stableReplicas: t.stableReplicas,
    runCanary: t.runCanary,
  };
}

/** The weight the previous status asked for (status.weight is the effective one). */
export function requestedWeight(ctx: Context, previous: CanaryStatus): number {
  if (previous.phase === 'Progressing') return ctx.canary.steps[previous.step ?? 0]?.weight ?? 0;
  if (previous.phase === 'Promoting') {
    return previous.step === undefined ? 0 : (ctx.canary.steps[previous.step]?.weight ?? 0);
  }
  return 0;
}
