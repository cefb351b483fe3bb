import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../metrics.js';
import type { Disagreement } from './compare.js';

/** A disagreement reason, or `error` when the shadow gave no comparable answer. */
export type DisagreementLabel = Disagreement | 'error';

export interface ShadowMetrics {
  /** Sent to the shadow. */
  mirrored(): void;
  /** Picked, but not sent because SHADOW_MAX_INFLIGHT mirrors were already in flight. */
  dropped(): void;
  /** Sent, but no connection to the shadow could be made: not compared. */
  unreachable(): void;
  /** A verdict was reached for a mirrored request: agreed, or disagreed with a reason. */
  compared(disagreement: DisagreementLabel | undefined): void;
  /** From sending the mirror to the shadow's full answer (or its failure). */
  shadowLatency(seconds: number): void;
}

/** The shadow series, in the runtime's registry so they carry its model/version/track labels. */
export function createShadowMetrics(registry: Registry): ShadowMetrics {
  const registers = [registry];
  const mirrored = new Counter({
    name: 'modeldeploy_shadow_mirrored_total',
    help: 'Inference requests copied to the shadow after their answer was sent',
    registers,
  });
  const dropped = new Counter({
    name: 'modeldeploy_shadow_dropped_total',
    help: 'Requests picked for the shadow but not sent: SHADOW_MAX_INFLIGHT copies were in flight',
    registers,
  });
  const unreachable = new Counter({
    name: 'modeldeploy_shadow_unreachable_total',
    help: 'Copies that never reached the shadow (connection refused, no DNS answer, no route); not compared',
    registers,
  });
  const compared = new Counter({
    name: 'modeldeploy_shadow_compared_total',
    help: "Mirrored requests whose shadow answer was compared with the user's (errors included)",
    registers,
  });
  const disagreed = new Counter({
    name: 'modeldeploy_shadow_disagreed_total',
    help: "Compared requests whose shadow answer differed from the user's, by reason (shape, argmax, value, error)",
    labelNames: ['reason'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'modeldeploy_shadow_duration_seconds',
    help: 'Time from sending a mirrored request to the shadow until its answer (or failure)',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  // Every reason from the start, so a rate over them reads 0 rather than no data.
  for (const reason of ['shape', 'argmax', 'value', 'error']) disagreed.inc({ reason }, 0);
  return {
    mirrored: () => mirrored.inc(),
    dropped: () => dropped.inc(),
    unreachable: () => unreachable.inc(),
    compared: (disagreement) => {
      compared.inc();
      if (disagreement !== undefined) disagreed.inc({ reason: disagreement });
    },
    shadowLatency: (seconds) => duration.observe(seconds),
  };
}
