import type { z } from 'zod';
import type { analysisSpec, ModelDeploymentSpec } from '../api/model-deployment-spec.js';
import type { AnalysisResult } from '../api/model-deployment-status.js';

/** spec.canary.analysis after defaulting. */
export type AnalysisSpec = z.output<typeof analysisSpec>;

/** The runtime's metric names (runtime /metrics, default labels model, version, track). */
export const REQUESTS_TOTAL = 'modeldeploy_requests_total';
export const REQUEST_DURATION = 'modeldeploy_request_duration_seconds';

/**
 * Only the runtime's inference routes (`/predict`, KServe V1 `/v1/models/:name:predict`,
 * V2 `…/infer`): probes, scrapes and metadata calls would dilute the error rate and pull
 * the latency quantile towards zero. Prometheus anchors the regex at both ends.
 */
export const INFERENCE_ROUTES = '/predict|.*:predict|.*/infer';

/** What the status message says when the canary got no measurable traffic. */
export const NO_SAMPLES = 'no samples yet (no traffic?)';

export interface CanaryQueries {
  /** 5xx answers / all answers of the canary over the window; no data when nothing was served. */
  errorRate: string;
  /** p95 request latency of the canary over the window, in seconds. */
  latencyP95: string;
}

/** Escapes a PromQL string literal (double-quoted). */
function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * The PromQL that measures the canary track of one model version.
 *
 * The range is `windowSeconds`, but never shorter than spec.canary.analysis.intervalSeconds,
 * so consecutive checks leave no request unmeasured. The error-rate numerator falls back
 * to `vector(0)` (a healthy canary has no 5xx series at all), while the denominator does
 * not: no requests → empty result or NaN → Inconclusive, never a pass.
 *
 * `extraMatchers` narrows the series further when the scrape config attaches more labels
 * (e.g. `{namespace: 'prod'}` from Kubernetes service discovery).
 */
export function canaryQueries(
  spec: Pick<ModelDeploymentSpec, 'canary'>,
  model: string,
  version: string,
  windowSeconds: number,
  extraMatchers: Readonly<Record<string, string>> = {},
): CanaryQueries {
  const interval = spec.canary?.analysis?.intervalSeconds ?? 0;
  const window = `${Math.max(1, Math.ceil(windowSeconds), interval)}s`;
  const labels = [
    `model=${promString(model)}`,
    `version=${promString(version)}`,
    `track="canary"`,
    `route=~${promString(INFERENCE_ROUTES)}`,
    ...Object.entries(extraMatchers).map(([name, value]) => `${name}=${promString(value)}`),
  ];
  const selector = labels.join(',');
  const errors = `sum(rate(${REQUESTS_TOTAL}{${selector},code=~"5.."}[${window}]))`;
  const all = `sum(rate(${REQUESTS_TOTAL}{${selector}}[${window}]))`;
  return {
    errorRate: `(${errors} or vector(0)) / ${all}`,
    latencyP95: `histogram_quantile(0.95, sum by (le) (rate(${REQUEST_DURATION}_bucket{${selector}}[${window}])))`,
  };
}

/** What the canary showed over one window; `undefined` = the query returned no data. */
export interface AnalysisSamples {
  errorRate: number | undefined;
  latencyP95Seconds: number | undefined;
}

// Float slack so a value exactly at the threshold (0.3 s vs 300 ms) is not failed by rounding.
const EPSILON = 1e-9;

const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;
const ms = (value: number) =>
  Number.isFinite(value) ? `${Number(value.toFixed(1))} ms` : 'above the largest bucket';
const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * Turns measurements into a verdict. The thresholds are inclusive ("highest allowed").
 *
 * - A measured value above its threshold → Fail, even when the other value is missing.
 * - Missing, NaN or ±Inf error rate, or a missing/NaN latency while maxLatencyP95Ms is set →
 *   Inconclusive: neither passes nor fails the step (argo-rollouts#1466, #180, #459).
 * - A latency of +Inf (the quantile fell into the +Inf bucket) is a real, very slow
 *   measurement and fails a latency threshold.
 */
export function judge(
  samples: AnalysisSamples,
  analysis: Pick<AnalysisSpec, 'maxErrorRate' | 'maxLatencyP95Ms'>,
  now: Date,
): AnalysisResult {
  const time = now.toISOString();
  const errorRate =
    samples.errorRate !== undefined && Number.isFinite(samples.errorRate)
      ? samples.errorRate
      : undefined;
  const latency = samples.latencyP95Seconds;
  const latencyMs =
    latency !== undefined && !Number.isNaN(latency) && latency !== -Infinity
      ? latency * 1000
      : undefined;
  const measured = {
    ...(errorRate !== undefined ? { errorRate: round(errorRate, 6) } : {}),
    ...(latencyMs !== undefined && Number.isFinite(latencyMs)
      ? { latencyP95Ms: round(latencyMs, 3) }
      : {}),
  };

  const failures: string[] = [];
  if (errorRate !== undefined && errorRate > analysis.maxErrorRate + EPSILON) {
    failures.push(`error rate ${percent(errorRate)} > max ${percent(analysis.maxErrorRate)}`);
  }
  const maxLatency = analysis.maxLatencyP95Ms;
  if (
    maxLatency !== undefined &&
    latencyMs !== undefined &&
    latencyMs > maxLatency * (1 + EPSILON)
  ) {
    failures.push(`p95 latency ${ms(latencyMs)} > max ${maxLatency} ms`);
  }
  if (failures.length > 0) {
    return { time, verdict: 'Fail', ...measured, message: failures.join('; ') };
  }

  const missing: string[] = [];
  if (errorRate === undefined) missing.push('error rate');
  if (maxLatency !== undefined && latencyMs === undefined) missing.push('p95 latency');
  if (missing.length > 0) {
    return {
      time,
      verdict: 'Inconclusive',
      ...measured,
      message: `${NO_SAMPLES}: ${missing.join(' and ')} had no data`,
    };
  }

  const parts = [`error rate ${percent(errorRate ?? 0)} ≤ ${percent(analysis.maxErrorRate)}`];
  if (maxLatency !== undefined && latencyMs !== undefined) {
    parts.push(`p95 latency ${ms(latencyMs)} ≤ ${maxLatency} ms`);
  } else if (latencyMs !== undefined) {
    parts.push(`p95 latency ${ms(latencyMs)}`);
  }
  return { time, verdict: 'Pass', ...measured, message: parts.join(', ') };
}

/** An Inconclusive result for a check that could not run (Prometheus down, bad URL, …). */
export function inconclusive(message: string, now: Date): AnalysisResult {
  return { time: now.toISOString(), verdict: 'Inconclusive', message };
}
