/**
 * Traffic split for router `replicaRatio`: one Service selects the pods of both tracks, so
 * the canary's share of requests is its share of ready pods. Integer pods cannot express
 * every weight; the split rounds to the nearest count and reports the share it really gives.
 */
export interface ReplicaSplit {
  /** Pods of the stable track. */
  stable: number;
  /** Pods of the canary track. */
  canary: number;
  /** The share of traffic, 0–100, these counts really give the canary (report this in status). */
  effectiveWeight: number;
}

/**
 * Splits `totalReplicas` between the tracks so the canary gets about `weight` percent.
 *
 * - weight 0 → no canary pods; weight 100 → all pods canary.
 * - weight in 1–99 → at least one canary pod AND at least one stable pod, within
 *   `totalReplicas` pods; only a single pod grows to 1 + 1 (weight 10 on 1 replica is then
 *   effectively 50%: the honest figure is reported in `effectiveWeight`).
 * - `totalReplicas` below 1 is treated as 1; weights are clamped to 0–100.
 */
export function replicaSplit(totalReplicas: number, weight: number): ReplicaSplit {
  const total = Math.max(1, Math.floor(Number.isFinite(totalReplicas) ? totalReplicas : 1));
  const w = Math.min(100, Math.max(0, Number.isFinite(weight) ? weight : 0));
  if (w === 0) return { stable: total, canary: 0, effectiveWeight: 0 };
  if (w === 100) return { stable: 0, canary: total, effectiveWeight: 100 };
  // Both tracks keep at least one pod; only a single-pod deployment grows by one.
  const canary = Math.min(Math.max(1, total - 1), Math.max(1, Math.round((total * w) / 100)));
  const stable = Math.max(1, total - canary);
  return { stable, canary, effectiveWeight: ratioWeight(stable, canary) };
}

/** The canary's share of traffic, 0–100, when `stable` and `canary` ready pods share a Service. */
export function ratioWeight(stable: number, canary: number): number {
  const all = stable + canary;
  return all <= 0 ? 0 : Math.round((100 * canary) / all);
}

/**
 * Canary pods to run beside `stable` pods that keep their count (an HPA owns it, or a
 * gatewayAPI route splits traffic by weight), so that the canary's pods are about `weight`
 * percent of all pods: round(stable × w / (100 − w)), at least 1 and at most `max`. A weight
 * of 100 cannot be reached by adding pods beside a stable track; it gets as many pods as
 * stable (capped at `max`).
 */
export function canaryPodsBeside(stable: number, weight: number, max: number): number {
  const s = Math.max(1, Math.floor(Number.isFinite(stable) ? stable : 1));
  const w = Math.min(100, Math.max(0, Number.isFinite(weight) ? weight : 0));
  const wanted = w >= 100 ? s : Math.round((s * w) / (100 - w));
  return Math.min(Math.max(1, max), Math.max(1, wanted));
}
