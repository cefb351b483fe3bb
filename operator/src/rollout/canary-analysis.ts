import type { AnalysisResult } from '../api/model-deployment-status.js';
import { inconclusive, judge, type TrackSamples } from './analysis-judge.js';
import { analysisWindowSeconds, trackQueries, type AnalysisSpec } from './analysis-queries.js';
import type { AnalysisTrack, TrackSeries } from './analysis-selector.js';
import { queryScalar, type QueryLog, type QueryOptions } from './prometheus-client.js';
import { prometheusUrlAllowed } from './prometheus-url-allowlist.js';

/** Why the operator would not run a check at all (the state machine makes it a condition). */
export type AnalysisRefusal = 'PrometheusUrlNotAllowed';

/** A check that was not run: Inconclusive (it neither passes nor fails a step), with why. */
export interface RefusedAnalysis extends AnalysisResult {
  verdict: 'Inconclusive';
  refused: AnalysisRefusal;
}

/** A check that ran (or tried to: an unreachable Prometheus is Inconclusive too). */
export type MeasuredAnalysis = AnalysisResult & { refused?: undefined };

/** What analyzeCanary returns; assignable to AnalysisResult. */
export type CanaryAnalysisOutcome = MeasuredAnalysis | RefusedAnalysis;

export function isRefusedAnalysis(outcome: AnalysisResult): outcome is RefusedAnalysis {
  return 'refused' in outcome && outcome.refused !== undefined;
}

/**
 * The outcome as status.canary.lastAnalysis stores it: without the `refused` marker, which
 * the CRD's schema does not have (the API server would prune it, and a status compared
 * with the stored one would always differ). The refusal belongs in a condition.
 */
export function analysisForStatus(outcome: CanaryAnalysisOutcome): AnalysisResult {
  if (!isRefusedAnalysis(outcome)) return outcome;
  const { refused: _refused, ...result } = outcome;
  return result;
}

export interface AnalyzeCanaryOptions {
  analysis: AnalysisSpec;
  /** The ModelDeployment's namespace and name: only its own runtime pods are measured. */
  namespace: string;
  name: string;
  /** Served model name (the runtime's `model` metric label). */
  model: string;
  /** Canary version (the runtime's `version` metric label). */
  version: string;
  now: Date;
  /** The operator's allow-list (ANALYSIS_PROMETHEUS_URLS); empty refuses every URL. */
  allowedPrometheusUrls: readonly string[];
  /** Per query; default 5 s. */
  timeoutMs?: number;
  /** More label matchers, e.g. `{namespace}` when the scrape config adds it. */
  extraMatchers?: Readonly<Record<string, string>>;
  /**
   * Shortest query window; default 60 s. rate() needs at least two scrapes inside the
   * window, and clusters commonly scrape every 15–30 s, so a 5 s analysis interval alone
   * would never see data. The metrics are the canary's own, so a window reaching back
   * into the previous step does not mix in stable traffic.
   */
  minWindowSeconds?: number;
  /** Gets the bodies of unusable Prometheus answers (debug level); carries the resource. */
  log?: QueryLog;
}

function refusedUrl(url: string, now: Date): RefusedAnalysis {
  return {
    ...inconclusive(
      `prometheusUrl ${url} is not in the operator's allow-list, so it was not queried; ask the cluster administrator to add it (chart value analysis.allowedPrometheusUrls, env ANALYSIS_PROMETHEUS_URLS) or use a Prometheus already allowed`,
      now,
    ),
    verdict: 'Inconclusive',
    refused: 'PrometheusUrlNotAllowed',
  };
}

/** The stable track is measured only when a check compares with it. */
function needsStable(analysis: AnalysisSpec): boolean {
  return analysis.maxErrorRateIncrease !== undefined || analysis.maxLatencyRatio !== undefined;
}

async function measureTrack(
  url: string,
  options: AnalyzeCanaryOptions,
  track: AnalysisTrack,
  query: QueryOptions,
): Promise<TrackSamples> {
  const series: TrackSeries = {
    namespace: options.namespace,
    name: options.name,
    model: options.model,
    // The stable track is whatever the ModelDeployment serves as stable, in any version.
    ...(track === 'canary' ? { version: options.version } : {}),
    track,
    ...(options.extraMatchers !== undefined ? { extraMatchers: options.extraMatchers } : {}),
  };
  const { analysis } = options;
  const window = analysisWindowSeconds(analysis.intervalSeconds, options.minWindowSeconds ?? 60);
  const queries = trackQueries(series, analysis, window);
  const [errorRate, latencyP95Seconds] = await Promise.all([
    queryScalar(url, queries.errorRate, query),
    queryScalar(url, queries.latencyP95, query),
  ]);
  return { errorRate, latencyP95Seconds };
}

/**
 * One analysis check for the controller to pass to decideRollout as `analysis`. Never
 * throws: an unreachable or failing Prometheus gives Inconclusive with the reason, so an
 * outage neither promotes nor aborts a canary. A URL outside the allow-list is never
 * fetched and gives a RefusedAnalysis. Every query is evaluated at `now`, so the canary
 * and the stable track are measured over the same window.
 */
export async function analyzeCanary(options: AnalyzeCanaryOptions): Promise<CanaryAnalysisOutcome> {
  const { analysis, now } = options;
  const url = analysis.prometheusUrl;
  if (url === undefined) return inconclusive('analysis has no prometheusUrl', now);
  if (!prometheusUrlAllowed(url, options.allowedPrometheusUrls)) return refusedUrl(url, now);
  const query: QueryOptions = {
    timeoutMs: options.timeoutMs ?? 5000,
    time: now,
    ...(options.log !== undefined ? { log: options.log } : {}),
  };
  try {
    const [canary, stable] = await Promise.all([
      measureTrack(url, options, 'canary', query),
      needsStable(analysis) ? measureTrack(url, options, 'stable', query) : undefined,
    ]);
    return judge({ ...canary, ...(stable !== undefined ? { stable } : {}) }, analysis, now);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return inconclusive(`analysis query failed: ${reason}`, now);
  }
}
