import type { AnalysisResult } from '../api/model-deployment-status.js';
import type { AnalysisSpec } from './analysis-queries.js';

/** What the status message says when the canary got no measurable traffic. */
export const NO_SAMPLES = 'no samples yet (no traffic?)';

/** What the status message says when a check relative to stable has nothing to compare with. */
export const NO_STABLE_SAMPLES = 'no stable samples to compare with';

/** What one track showed over one window; `undefined` = the query returned no data. */
export interface TrackSamples {
  errorRate: number | undefined;
  latencyP95Seconds: number | undefined;
}

/** The canary's samples, and the stable track's over the same window when a check needs them. */
export interface AnalysisSamples extends TrackSamples {
  stable?: TrackSamples;
}

export type JudgedLimits = Pick<
  AnalysisSpec,
  'maxErrorRate' | 'maxLatencyP95Ms' | 'maxErrorRateIncrease' | 'maxLatencyRatio'
>;

/** A measurement judge() can compare: finite error rate; latency in ms, +Inf allowed. */
interface Measured {
  errorRate: number | undefined;
  latencyMs: number | undefined;
}

/** One check's outcome; a check that is not configured has none. */
type CheckOutcome =
  | { kind: 'fail'; text: string }
  | { kind: 'missing'; what: string; stable: boolean }
  | { kind: 'pass'; text: string };

// Float slack so a value exactly at the threshold (0.3 s vs 300 ms) is not failed by rounding.
const EPSILON = 1e-9;

const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;
const ms = (value: number) =>
  Number.isFinite(value) ? `${Number(value.toFixed(1))} ms` : 'above the largest bucket';
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * NaN, ±Inf and missing error rates are no measurement. A latency of +Inf (the quantile
 * fell into the +Inf bucket) is a real, very slow measurement; NaN and -Inf are none.
 */
function measure(samples: TrackSamples): Measured {
  const { errorRate, latencyP95Seconds: latency } = samples;
  return {
    errorRate: errorRate !== undefined && Number.isFinite(errorRate) ? errorRate : undefined,
    latencyMs:
      latency !== undefined && !Number.isNaN(latency) && latency !== -Infinity
        ? latency * 1000
        : undefined,
  };
}

function errorRateCheck(canary: Measured, max: number): CheckOutcome {
  const rate = canary.errorRate;
  if (rate === undefined) return { kind: 'missing', what: 'error rate', stable: false };
  if (rate > max + EPSILON)
    return { kind: 'fail', text: `error rate ${percent(rate)} > max ${percent(max)}` };
  return { kind: 'pass', text: `error rate ${percent(rate)} ≤ ${percent(max)}` };
}

function latencyCheck(
  canary: Measured,
  max: number | undefined,
  reportedElsewhere: boolean,
): CheckOutcome | undefined {
  const latency = canary.latencyMs;
  if (max === undefined) {
    // Reported for information when measured and no other check names it; no limit, no verdict.
    return latency !== undefined && !reportedElsewhere
      ? { kind: 'pass', text: `p95 latency ${ms(latency)}` }
      : undefined;
  }
  if (latency === undefined) return { kind: 'missing', what: 'p95 latency', stable: false };
  if (latency > max * (1 + EPSILON))
    return { kind: 'fail', text: `p95 latency ${ms(latency)} > max ${max} ms` };
  return { kind: 'pass', text: `p95 latency ${ms(latency)} ≤ ${max} ms` };
}

function errorRateIncreaseCheck(
  canary: Measured,
  stable: Measured,
  delta: number | undefined,
): CheckOutcome | undefined {
  if (delta === undefined || canary.errorRate === undefined) return undefined;
  if (stable.errorRate === undefined)
    return { kind: 'missing', what: 'stable error rate', stable: true };
  const limit = stable.errorRate + delta;
  const text = `error rate ${percent(canary.errorRate)} %s stable ${percent(stable.errorRate)} + ${percent(delta)}`;
  return canary.errorRate > limit + EPSILON
    ? { kind: 'fail', text: text.replace('%s', '>') }
    : { kind: 'pass', text: text.replace('%s', '≤') };
}

/**
 * canary p95 ≤ ratio × stable p95. A stable p95 above the largest bucket bounds nothing
 * the canary could exceed unless it is there too, where the two cannot be compared.
 */
function latencyRatioCheck(
  canary: Measured,
  stable: Measured,
  ratio: number | undefined,
): CheckOutcome | undefined {
  if (ratio === undefined) return undefined;
  if (canary.latencyMs === undefined)
    return { kind: 'missing', what: 'p95 latency', stable: false };
  if (
    stable.latencyMs === undefined ||
    (stable.latencyMs === Infinity && canary.latencyMs === Infinity)
  )
    return { kind: 'missing', what: 'stable p95 latency', stable: true };
  const text = `p95 latency ${ms(canary.latencyMs)} %s ${ratio} × stable ${ms(stable.latencyMs)}`;
  return canary.latencyMs > ratio * stable.latencyMs * (1 + EPSILON)
    ? { kind: 'fail', text: text.replace('%s', '>') }
    : { kind: 'pass', text: text.replace('%s', '≤') };
}

function inconclusiveMessage(missing: { what: string; stable: boolean }[]): string {
  const own = missing.filter((m) => !m.stable).map((m) => m.what);
  const stable = missing.filter((m) => m.stable).map((m) => m.what);
  const prefix = own.length > 0 ? NO_SAMPLES : NO_STABLE_SAMPLES;
  return `${prefix}: ${[...own, ...stable].join(' and ')} had no data`;
}

/**
 * Turns measurements into a verdict. Every threshold is inclusive ("highest allowed").
 *
 * - A measured value beyond any limit → Fail, even when another value is missing.
 * - A value a configured check needs is missing, NaN or (for error rates) ±Inf →
 *   Inconclusive, never pass or fail (argo-rollouts#1466, #180, #459). The message starts
 *   with NO_SAMPLES when the canary had no data, NO_STABLE_SAMPLES when only stable had none.
 * - maxErrorRateIncrease and maxLatencyRatio compare with `samples.stable`, which the
 *   caller measured over the same window.
 */
export function judge(samples: AnalysisSamples, limits: JudgedLimits, now: Date): AnalysisResult {
  const canary = measure(samples);
  const stable = measure(samples.stable ?? { errorRate: undefined, latencyP95Seconds: undefined });
  const outcomes = [
    errorRateCheck(canary, limits.maxErrorRate),
    errorRateIncreaseCheck(canary, stable, limits.maxErrorRateIncrease),
    latencyCheck(canary, limits.maxLatencyP95Ms, limits.maxLatencyRatio !== undefined),
    latencyRatioCheck(canary, stable, limits.maxLatencyRatio),
  ].filter((outcome): outcome is CheckOutcome => outcome !== undefined);
  const reported = {
    time: now.toISOString(),
    ...(canary.errorRate !== undefined ? { errorRate: round(canary.errorRate, 6) } : {}),
    ...(canary.latencyMs !== undefined && Number.isFinite(canary.latencyMs)
      ? { latencyP95Ms: round(canary.latencyMs, 3) }
      : {}),
  };
  const texts = (kind: 'fail' | 'pass') =>
    outcomes.flatMap((o) => (o.kind === kind ? [o.text] : []));
  const failures = texts('fail');
  if (failures.length > 0) return { ...reported, verdict: 'Fail', message: failures.join('; ') };
  const missing = outcomes.flatMap((o) => (o.kind === 'missing' ? [o] : []));
  if (missing.length > 0) {
    return { ...reported, verdict: 'Inconclusive', message: inconclusiveMessage(missing) };
  }
  return { ...reported, verdict: 'Pass', message: texts('pass').join(', ') };
}

/** An Inconclusive result for a check that could not run (Prometheus down, bad URL, …). */
export function inconclusive(message: string, now: Date): AnalysisResult {
  return { time: now.toISOString(), verdict: 'Inconclusive', message };
}
