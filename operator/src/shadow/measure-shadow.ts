import type { ShadowStatus } from '../api/model-deployment-status.js';
import { queryScalar, type QueryLog } from '../rollout/prometheus-client.js';
import { shadowQueries, type ShadowSeries } from './shadow-queries.js';

/** The Prometheus part of status.shadow: figures, or a message saying why there are none. */
export type ShadowMeasurement = Pick<
  ShadowStatus,
  'measuredAt' | 'compared' | 'disagreementRate' | 'latencyP95Ms' | 'message'
>;

export interface MeasureShadowOptions {
  readonly prometheusUrl: string;
  readonly series: ShadowSeries;
  readonly windowSeconds: number;
  readonly now: Date;
  /** The operator's allow-list check (ANALYSIS_PROMETHEUS_URLS). */
  readonly allowed: (url: string) => boolean;
  readonly timeoutMs?: number;
  readonly log?: QueryLog;
}

/**
 * Reads the comparisons of the last window. Never throws: a URL outside the allow-list is
 * not fetched, and an unreachable Prometheus leaves a message instead of figures.
 */
export async function measureShadow(options: MeasureShadowOptions): Promise<ShadowMeasurement> {
  const measuredAt = options.now.toISOString();
  if (!options.allowed(options.prometheusUrl)) {
    return {
      measuredAt,
      message: `spec.shadow.prometheusUrl ${options.prometheusUrl} is not in the operator's allow-list of Prometheus URLs, so it was not queried; use an allowed one, or ask the operator's administrators to add it (ANALYSIS_PROMETHEUS_URLS, chart value analysis.allowedPrometheusUrls)`,
    };
  }
  const queries = shadowQueries(options.series, options.windowSeconds);
  const query = {
    timeoutMs: options.timeoutMs ?? 5000,
    time: options.now,
    ...(options.log !== undefined ? { log: options.log } : {}),
  };
  try {
    const [compared, rate, p95, unreachable] = await Promise.all([
      queryScalar(options.prometheusUrl, queries.compared, query),
      queryScalar(options.prometheusUrl, queries.disagreementRate, query),
      queryScalar(options.prometheusUrl, queries.latencyP95, query),
      queryScalar(options.prometheusUrl, queries.unreachable, query),
    ]);
    const message = measurementMessage(options.windowSeconds, rate, unreachable);
    return {
      measuredAt,
      compared: compared ?? 0,
      ...(rate !== undefined && Number.isFinite(rate) ? { disagreementRate: round(rate) } : {}),
      ...(p95 !== undefined && Number.isFinite(p95) ? { latencyP95Ms: round(p95 * 1000) } : {}),
      ...(message !== undefined ? { message } : {}),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { measuredAt, message: `shadow measurement failed: ${reason}` };
  }
}

/**
 * Says why figures are missing, and names copies that never reached the shadow: those are
 * not comparisons, so they neither count towards the gate's minimum nor as disagreements.
 */
function measurementMessage(
  windowSeconds: number,
  rate: number | undefined,
  unreachable: number | undefined,
): string | undefined {
  const parts: string[] = [];
  if (rate === undefined) parts.push(`no comparisons in the last ${windowSeconds} s`);
  const lost = Math.round(unreachable ?? 0);
  if (lost > 0) {
    parts.push(
      `${lost} copies in the last ${windowSeconds} s could not connect to the shadow Service and were not compared; check that the -shadow pods are Ready and the Service has endpoints`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** Four significant digits: status is rewritten only when a figure really moves. */
function round(value: number): number {
  return Number(value.toPrecision(4));
}
