/**
 * Which runtime series an analysis query reads: one track of one ModelDeployment.
 *
 * The ModelDeployment is selected by the runtime's own `modeldeployment="<namespace>/<name>"`
 * label (MODELDEPLOY_INSTANCE in the pod's environment), not by a scrape-time `namespace`
 * label: that label exists only under Kubernetes service discovery, its name depends on the
 * scrape config, and a runtime's own `namespace` label is renamed to `exported_namespace`
 * under the default honor_labels=false. The runtime's label is there under every scrape
 * config, so two namespaces serving the same model name and version never mix.
 */

/** The runtime's metric names (runtime/src/metrics.ts). */
export const REQUESTS_TOTAL = 'modeldeploy_requests_total';
export const REQUEST_DURATION = 'modeldeploy_request_duration_seconds';

/** The runtime's constant label naming its ModelDeployment as `<namespace>/<name>`. */
export const MODELDEPLOYMENT_LABEL = 'modeldeployment';

/**
 * Only the runtime's inference routes (`/predict`, KServe V1 `/v1/models/:name:predict`,
 * V2 `…/infer`, and the V2 gRPC method `/inference.GRPCInferenceService/ModelInfer`, which
 * the GRPCRoute splits like the HTTPRoute): probes, scrapes and metadata calls would dilute
 * the error rate and pull the latency quantile towards zero. The series' `protocol` label is
 * summed over. Prometheus anchors the regex at both ends.
 */
export const INFERENCE_ROUTES =
  '/predict|.*:predict|.*/infer|/inference.GRPCInferenceService/ModelInfer';

export type AnalysisTrack = 'stable' | 'canary';

/** One track of one ModelDeployment, as its runtime pods label their metrics. */
export interface TrackSeries {
  /** The ModelDeployment's namespace and name. */
  namespace: string;
  name: string;
  /** Served model name (the runtime's `model` label). */
  model: string;
  /** The track's version; left out, any version the track serves counts. */
  version?: string;
  track: AnalysisTrack;
  /** More label matchers (e.g. the scrape config's namespace label); never replace ours. */
  extraMatchers?: Readonly<Record<string, string>>;
}

/** Escapes a PromQL string literal (double-quoted). */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The value of MODELDEPLOYMENT_LABEL (and of MODELDEPLOY_INSTANCE) for a ModelDeployment. */
export function modelDeploymentLabelValue(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The label matchers (without braces) of a track's inference requests. */
export function trackMatchers(series: TrackSeries): string[] {
  const own: [string, string][] = [
    [MODELDEPLOYMENT_LABEL, modelDeploymentLabelValue(series.namespace, series.name)],
    ['model', series.model],
    ...(series.version !== undefined ? [['version', series.version] as [string, string]] : []),
    ['track', series.track],
  ];
  const ownNames = new Set(own.map(([label]) => label));
  const extra = Object.entries(series.extraMatchers ?? {}).filter(
    ([label]) => !ownNames.has(label),
  );
  return [
    ...own.map(([label, value]) => `${label}=${promString(value)}`),
    `route=~${promString(INFERENCE_ROUTES)}`,
    ...extra.map(([label, value]) => `${label}=${promString(value)}`),
  ];
}
