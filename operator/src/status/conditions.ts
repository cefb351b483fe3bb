import type { Condition, ConditionType } from '../api/model-deployment-status.js';

export interface DesiredCondition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/**
 * Merges desired conditions into the previous ones. lastTransitionTime moves only when
 * the status flips, so a resync that finds nothing new produces an identical list and
 * therefore no status write (GitOps tools and `kubectl get -w` stay quiet).
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  generation: number,
  now: Date,
): Condition[] {
  return desired.map((d) => {
    const old = previous?.find((c) => c.type === d.type);
    const lastTransitionTime =
      old && old.status === d.status
        ? old.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...d, lastTransitionTime, observedGeneration: generation };
  });
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
