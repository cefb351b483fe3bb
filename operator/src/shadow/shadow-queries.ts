import {
  MODELDEPLOYMENT_LABEL,
  modelDeploymentLabelValue,
  promString,
} from '../rollout/analysis-selector.js';

/** The runtime's shadow series (runtime/src/shadow/shadow-metrics.ts), kept by the stable pods. */
export const SHADOW_COMPARED = 'modeldeploy_shadow_compared_total';
export const SHADOW_DISAGREED = 'modeldeploy_shadow_disagreed_total';
export const SHADOW_DURATION = 'modeldeploy_shadow_duration_seconds';
export const SHADOW_UNREACHABLE = 'modeldeploy_shadow_unreachable_total';

export interface ShadowSeries {
  /** The ModelDeployment's namespace and name. */
  readonly namespace: string;
  readonly name: string;
  /** Served model name (the runtime's `model` label). */
  readonly model: string;
}

export interface ShadowQueries {
  /** Mirrored requests compared over the window. */
  compared: string;
  /** Disagreements (any reason, errors included) / comparisons; no data without comparisons. */
  disagreementRate: string;
  /** p95 of the shadow's answer time as the stable pods saw it, in seconds. */
  latencyP95: string;
  /** Copies that could not connect to the shadow (not compared); no data from older runtimes. */
  unreachable: string;
}

/**
 * PromQL over the comparisons the stable pods of one ModelDeployment made in the last
 * `windowSeconds`. The disagreement numerator falls back to 0 (no disagreement series has
 * samples when all agree); the denominator does not, so no comparisons reads as no data.
 */
export function shadowQueries(series: ShadowSeries, windowSeconds: number): ShadowQueries {
  const matchers = [
    `${MODELDEPLOYMENT_LABEL}=${promString(modelDeploymentLabelValue(series.namespace, series.name))}`,
    `model=${promString(series.model)}`,
    `track="stable"`,
  ].join(',');
  const window = `${Math.max(1, Math.ceil(windowSeconds))}s`;
  const compared = `sum(increase(${SHADOW_COMPARED}{${matchers}}[${window}]))`;
  const disagreed = `sum(increase(${SHADOW_DISAGREED}{${matchers}}[${window}]))`;
  return {
    compared,
    disagreementRate: `(${disagreed} or vector(0)) / ${compared}`,
    unreachable: `sum(increase(${SHADOW_UNREACHABLE}{${matchers}}[${window}]))`,
    latencyP95: `histogram_quantile(0.95, sum by (le) (rate(${SHADOW_DURATION}_bucket{${matchers}}[${window}])))`,
  };
}
