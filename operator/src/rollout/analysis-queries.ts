import type { z } from 'zod';
import type { analysisSpec } from '../api/model-deployment-spec.js';
import {
  REQUEST_DURATION,
  REQUESTS_TOTAL,
  trackMatchers,
  type TrackSeries,
} from './analysis-selector.js';
import { errorCodeMatchers, ignoredCodeMatchers } from './error-status-codes.js';

// state.ts reads NO_SAMPLES from here; judge() and its messages live in analysis-judge.ts.
export { NO_SAMPLES } from './analysis-judge.js';

/** spec.canary.analysis after defaulting. */
export type AnalysisSpec = z.output<typeof analysisSpec>;

export type StatusCodeSettings = Pick<AnalysisSpec, 'errorStatusCodes' | 'ignoredStatusCodes'>;

export interface TrackQueries {
  /** Error answers / all answers over the window; no data when nothing was served. */
  errorRate: string;
  /** p95 request latency over the window, in seconds. */
  latencyP95: string;
}

/**
 * The query range: `windowSeconds`, but never shorter than intervalSeconds, so consecutive
 * checks leave no request unmeasured, and never shorter than a second.
 */
export function analysisWindowSeconds(intervalSeconds: number, windowSeconds: number): number {
  return Math.max(1, Math.ceil(windowSeconds), intervalSeconds);
}

/**
 * The PromQL that measures one track of one ModelDeployment over `windowSeconds`.
 *
 * The error-rate numerator falls back to `vector(0)` (a healthy track has no error series
 * at all), while the denominator does not: no requests → empty result or NaN →
 * Inconclusive, never a pass. Ignored status codes are left out of numerator, denominator
 * and latency alike: answers the runtime declined to compute say nothing of the model.
 */
export function trackQueries(
  series: TrackSeries,
  codes: StatusCodeSettings,
  windowSeconds: number,
): TrackQueries {
  const window = `${windowSeconds}s`;
  const answered = [...trackMatchers(series), ...ignoredCodeMatchers(codes.ignoredStatusCodes)];
  const errors = [
    ...trackMatchers(series),
    ...errorCodeMatchers(codes.errorStatusCodes, codes.ignoredStatusCodes),
  ];
  const errorSum = `sum(rate(${REQUESTS_TOTAL}{${errors.join(',')}}[${window}]))`;
  const allSum = `sum(rate(${REQUESTS_TOTAL}{${answered.join(',')}}[${window}]))`;
  return {
    errorRate: `(${errorSum} or vector(0)) / ${allSum}`,
    latencyP95: `histogram_quantile(0.95, sum by (le) (rate(${REQUEST_DURATION}_bucket{${answered.join(',')}}[${window}])))`,
  };
}
