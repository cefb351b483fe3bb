import { median } from './percentile.js';

/**
 * A distribution-free confidence interval for the median of independent measurements (the
 * sign test's): the k-th smallest and k-th largest values, k the largest rank for which
 * fewer than k of n values fall below the median with probability at most (1 - level) / 2.
 * It needs no assumption about the shape of the values, which is the point: a p99 of a 6 s
 * run on a shared machine has heavy tails in both directions.
 */
export interface MedianInterval {
  readonly low: number;
  readonly high: number;
  /** The coverage actually reached (binomial ranks are discrete, so at least `level`). */
  readonly level: number;
}

/** Undefined when there are too few values for the level (6 for 95 %). */
export function medianInterval(
  values: readonly number[],
  level = 0.95,
): MedianInterval | undefined {
  const n = values.length;
  const tail = (1 - level) / 2;
  // P(X < k) for X ~ Binomial(n, 1/2), summed from k = 0 up while it stays within the tail.
  let below = 0;
  let k = 0;
  for (;;) {
    const next = below + binomialHalf(n, k);
    if (next > tail) break;
    below = next;
    k++;
  }
  if (k === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    low: sorted[k - 1] as number,
    high: sorted[n - k] as number,
    level: 1 - 2 * below,
  };
}

/** P(X = k) for X ~ Binomial(n, 1/2), by logarithms so that n in the hundreds is exact enough. */
function binomialHalf(n: number, k: number): number {
  return Math.exp(logChoose(n, k) - n * Math.LN2);
}

function logChoose(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log(n - k + i) - Math.log(i);
  return sum;
}

/** A median, its interval and how many values it is over. */
export interface MedianSummary {
  readonly median: number;
  readonly interval: MedianInterval | undefined;
  readonly values: number;
}

export function summariseMedian(values: readonly number[]): MedianSummary {
  return { median: median(values), interval: medianInterval(values), values: values.length };
}

/** "+1.2 %" */
export function signedPct(n: number): string {
  return `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)} %`;
}

/** "+0.7 % (97.7 % interval −9.5 … +21.8 %, 24 values)" */
export function formatMedian(summary: MedianSummary): string {
  const interval =
    summary.interval === undefined
      ? 'too few values for an interval'
      : `${Math.round(summary.interval.level * 1000) / 10} % interval ${signedPct(summary.interval.low)} … ${signedPct(summary.interval.high)}`;
  return `${signedPct(summary.median)} (${interval}, ${summary.values} values)`;
}
