import type { CanaryPhase, CanaryStatus } from '../api/model-deployment-status.js';
import { canaryPodsBeside, ratioWeight, replicaSplit } from './replica-ratio.js';
import type { Context, RolloutInput } from './rollout-types.js';

/**
 * Stable pods the split starts from. Under an HPA that is the live count the HPA chose (never
 * below minReplicas), not minReplicas: with 6 stable pods a 50 % step needs 6 canary pods.
 */
export function totalReplicas(input: RolloutInput): number {
  if (input.totalReplicas !== undefined) return input.totalReplicas;
  const hpa = input.spec.autoscaling;
  if (hpa === undefined) return input.spec.replicas;
  return Math.max(hpa.minReplicas, input.stable.replicas ?? hpa.minReplicas);
}

/** Canary pods for a requested weight, by router and by who owns the stable count. */
function canaryPods(ctx: Context, weight: number): number {
  const fixed = ctx.canary.replicas;
  if (fixed !== undefined) return fixed;
  const router = ctx.spec.traffic?.router ?? 'replicaRatio';
  if (router === 'gatewayAPI' || ctx.autoscaled) {
    return canaryPodsBeside(ctx.total, weight, ctx.maxCanary);
  }
  return weight === 0 ? 1 : Math.max(1, replicaSplit(ctx.total, weight).canary);
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
  // While Shadowing the candidate runs on the shadow track, which no user reaches.
  if (phase === 'Aborted' || phase === 'Promoted' || phase === 'Shadowing') return NO_CANARY;
  if (phase === 'Promoting' && weight === 0) return NO_CANARY;
  if (phase === 'Verifying' || phase === 'Pending') {
    // Start as many pods as the first step needs; no traffic share is asked for yet.
    const first = ctx.canary.steps[0]?.weight ?? 0;
    return { ...NO_CANARY, canaryReplicas: canaryPods(ctx, first), runCanary: true };
  }
  if (router === 'gatewayAPI') {
    // The route splits requests by weight; the canary gets pods in proportion, so that at
    // 50 % of an autoscaled model it is not one pod taking half the traffic.
    return {
      canaryWeight: weight,
      canaryReplicas: canaryPods(ctx, weight),
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: weight,
    };
  }
  if (ctx.autoscaled) {
    // The HPA owns the stable count: add canary pods beside it, never take stable pods away.
    const pods = weight === 0 ? (fixed ?? 1) : canaryPods(ctx, weight);
    return {
      canaryWeight: weight,
      canaryReplicas: pods,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: ratioWeight(ctx.total, pods),
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
