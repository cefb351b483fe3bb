import type { ModelDeploymentObject } from './cluster-objects.js';

/**
 * Exit codes of `kubectl mdep watch`, so scripts and CI can branch on how a rollout ended
 * (the same idea as `kubectl argo rollouts status`).
 */
export const EXIT = {
  settled: 0,
  error: 1,
  degraded: 2,
  timeout: 3,
  paused: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type Outcome = { done: false } | { done: true; code: ExitCode; reason: string };

/**
 * Whether the rollout has settled, and how. Until status describes the current
 * generation nothing is concluded: an edit the operator has not seen yet must not read
 * as "settled" from the previous state.
 */
export function rolloutOutcome(md: ModelDeploymentObject): Outcome {
  const status = md.status ?? {};
  const conditions = status.conditions ?? [];
  const cond = (type: string) => conditions.find((c) => c.type === type);
  if (
    status.observedGeneration === undefined ||
    status.observedGeneration < (md.metadata.generation ?? 0)
  ) {
    return { done: false };
  }
  const phase = status.canary?.phase;
  if (phase === 'Aborted') {
    const why = status.canary?.abortReason ?? 'Aborted';
    return {
      done: true,
      code: EXIT.degraded,
      reason: `rollout aborted (${why}): ${status.canary?.message ?? ''}`,
    };
  }
  const stalled = cond('Stalled');
  if (stalled?.status === 'True') {
    return {
      done: true,
      code: EXIT.degraded,
      reason: `stalled (${stalled.reason}): ${stalled.message}`,
    };
  }
  if (md.spec.paused)
    return { done: true, code: EXIT.paused, reason: 'paused (spec.paused); resume to continue' };
  if (phase === 'Promoted') {
    return {
      done: true,
      code: EXIT.settled,
      reason: `promoted ${status.canary?.version ?? ''}`.trim(),
    };
  }
  if (phase !== undefined) return { done: false };
  const ready = cond('Ready');
  const reconciling = cond('Reconciling');
  if (ready?.status === 'True' && reconciling?.status !== 'True') {
    return { done: true, code: EXIT.settled, reason: `${ready.reason}: ${ready.message}` };
  }
  return { done: false };
}
