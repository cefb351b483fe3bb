import type { ModelDeployment } from '../api/model-deployment.js';
import { servedModelName } from '../api/model-deployment.js';
import { measureShadow } from '../shadow/measure-shadow.js';
import type { QueryLog } from './prometheus-client.js';
import type { ShadowGateReading } from './rollout-types.js';
import { gateWindowSeconds } from './shadow-gate.js';

export interface ReadShadowGateOptions {
  /** The gate's Prometheus (shadowGateUrl). */
  readonly prometheusUrl: string;
  /** When the gate's clock started (status.canary.shadowGate.startedAt), ms since the epoch. */
  readonly startedAtMs: number;
  readonly now: Date;
  /** The operator's allow-list check (ANALYSIS_PROMETHEUS_URLS). */
  readonly allowed: (url: string) => boolean;
  readonly timeoutMs?: number;
  readonly log?: QueryLog;
}

/**
 * The comparisons the stable pods of `md` made since the gate started, as decideRollout
 * takes them. The same queries as status.shadow, over the window since the gate's start.
 * Never throws: an unreachable or refused Prometheus gives a reading without `compared`,
 * whose message says why.
 */
export async function readShadowGate(
  md: Pick<ModelDeployment, 'metadata' | 'spec'>,
  options: ReadShadowGateOptions,
): Promise<ShadowGateReading> {
  const measured = await measureShadow({
    prometheusUrl: options.prometheusUrl,
    series: {
      namespace: md.metadata.namespace,
      name: md.metadata.name,
      model: servedModelName(md),
    },
    windowSeconds: gateWindowSeconds(options.startedAtMs, options.now),
    now: options.now,
    allowed: options.allowed,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  return {
    measuredAt: measured.measuredAt ?? options.now.toISOString(),
    ...(measured.compared !== undefined ? { compared: measured.compared } : {}),
    ...(measured.disagreementRate !== undefined
      ? { disagreementRate: measured.disagreementRate }
      : {}),
    ...(measured.message !== undefined ? { message: measured.message } : {}),
  };
}
