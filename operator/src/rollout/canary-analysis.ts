import type { AnalysisResult } from '../api/model-deployment-status.js';
import { canaryQueries, inconclusive, judge, type AnalysisSpec } from './analysis-queries.js';
import { queryScalar } from './prometheus-client.js';

export interface AnalyzeCanaryOptions {
  analysis: AnalysisSpec;
  /** Served model name (the runtime's `model` metric label). */
  model: string;
  /** Canary version (the runtime's `version` metric label). */
  version: string;
  now: Date;
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
}

/**
 * One analysis check for the controller to pass to decideRollout as `analysis`. Never
 * throws: an unreachable or failing Prometheus gives Inconclusive with the reason, so an
 * outage neither promotes nor aborts a canary.
 */
export async function analyzeCanary(options: AnalyzeCanaryOptions): Promise<AnalysisResult> {
  const { analysis, model, version, now } = options;
  const url = analysis.prometheusUrl;
  if (url === undefined) return inconclusive('analysis has no prometheusUrl', now);
  const queries = canaryQueries(
    { canary: undefined },
    model,
    version,
    Math.max(analysis.intervalSeconds, options.minWindowSeconds ?? 60),
    options.extraMatchers,
  );
  const timeoutMs = options.timeoutMs ?? 5000;
  try {
    const [errorRate, latencyP95Seconds] = await Promise.all([
      queryScalar(url, queries.errorRate, timeoutMs),
      queryScalar(url, queries.latencyP95, timeoutMs),
    ]);
    return judge({ errorRate, latencyP95Seconds }, analysis, now);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return inconclusive(`analysis query failed: ${reason}`, now);
  }
}
