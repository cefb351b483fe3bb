import type { ShadowGateSpec } from '../api/shadow-gate-spec.js';
import type { CanaryStatus } from '../api/model-deployment-status.js';
import { canarySpecHash } from './canary-identity.js';
import type { RolloutInput, ShadowGateReading } from './rollout-types.js';
import { parseTime } from './schedule.js';

/**
 * The shadow gate's judgement (spec.canary.shadow), pure: from the gate's settings, when the
 * comparisons began to count, the latest reading and the time, what the rollout should do.
 * state.ts turns the verdict into a phase transition.
 */

/** How often the gate reads the comparisons while it runs. */
export const SHADOW_GATE_INTERVAL_MS = 30_000;

export type GateVerdict =
  /** Keep comparing; look again after `waitMs`. */
  | { kind: 'comparing'; waitMs: number }
  /** The duration is over and enough comparisons agreed: the first step may start. */
  | { kind: 'passed'; reading: ShadowGateReading }
  /** Enough comparisons, and too many of them disagreed: abort. */
  | { kind: 'disagreed'; reading: ShadowGateReading; rate: number }
  /** The duration is over with fewer comparisons than the gate needs: wait and keep counting. */
  | { kind: 'insufficient'; reading: ShadowGateReading; waitMs: number };

/** When the gate's duration ends, in ms since the epoch. */
export function gateEndsAt(gate: ShadowGateSpec, startedAtMs: number): number {
  return startedAtMs + gate.durationSeconds * 1000;
}

function nextReadingIn(reading: ShadowGateReading | undefined, nowMs: number): number {
  const last = parseTime(reading?.measuredAt);
  return last === undefined ? 0 : Math.max(0, last + SHADOW_GATE_INTERVAL_MS - nowMs);
}

/**
 * Disagreement aborts as soon as minComparedRequests were compared, even before the duration
 * ends: the evidence is enough, and a dark launch that already disagrees should not hold
 * the rollout for the rest of its duration. Passing needs a reading taken at or after the
 * end, so the whole duration is counted.
 */
export function judgeShadowGate(
  gate: ShadowGateSpec,
  startedAtMs: number,
  reading: ShadowGateReading | undefined,
  nowMs: number,
): GateVerdict {
  const compared = reading?.compared ?? 0;
  const rate = reading?.disagreementRate;
  const enough = reading !== undefined && compared >= gate.minComparedRequests;
  if (enough && rate !== undefined && rate > gate.maxDisagreementRate) {
    return { kind: 'disagreed', reading, rate };
  }
  const end = gateEndsAt(gate, startedAtMs);
  if (nowMs < end) {
    return { kind: 'comparing', waitMs: Math.min(end - nowMs, nextReadingIn(reading, nowMs)) };
  }
  const readAfterEnd = (parseTime(reading?.measuredAt) ?? 0) >= end;
  if (reading === undefined || !readAfterEnd) return { kind: 'comparing', waitMs: 0 };
  // Prometheus could not be read: neither pass nor call the traffic insufficient; retry.
  if (reading.compared === undefined) {
    return { kind: 'comparing', waitMs: nextReadingIn(reading, nowMs) };
  }
  if (enough) return { kind: 'passed', reading };
  return { kind: 'insufficient', reading, waitMs: nextReadingIn(reading, nowMs) };
}

/** The reading status.canary.shadowGate holds, if it has one. */
export function readingOf(status: CanaryStatus['shadowGate']): ShadowGateReading | undefined {
  if (status?.measuredAt === undefined) return undefined;
  return {
    measuredAt: status.measuredAt,
    ...(status.compared !== undefined ? { compared: status.compared } : {}),
    ...(status.disagreementRate !== undefined ? { disagreementRate: status.disagreementRate } : {}),
    ...(status.message !== undefined ? { message: status.message } : {}),
  };
}

/**
 * Whether the controller should read the comparisons in this reconcile (then it passes the
 * reading as `shadowGate`): the rollout is Shadowing with its gate started, the Prometheus
 * URL is allowed, and the last reading is missing, older than the interval, or taken
 * before the duration ended while the duration is now over.
 */
export function shadowGateDue(input: Omit<RolloutInput, 'analysis' | 'shadowGate'>): boolean {
  const { spec, previous } = input;
  const canary = spec.canary;
  const gate = canary?.shadow;
  if (spec.paused || canary === undefined || gate === undefined || previous === undefined) {
    return false;
  }
  if (canary.abort || canary.promote || input.shadowGateRefused !== undefined) return false;
  if (previous.specHash !== canarySpecHash(canary) || previous.phase !== 'Shadowing') return false;
  const started = parseTime(previous.shadowGate?.startedAt);
  if (started === undefined) return false;
  const nowMs = input.now.getTime();
  const last = parseTime(previous.shadowGate?.measuredAt);
  if (last === undefined || nowMs - last >= SHADOW_GATE_INTERVAL_MS) return true;
  const end = gateEndsAt(gate, started);
  return last < end && nowMs >= end;
}

/** The Prometheus the gate reads: its own, else the canary analysis's. */
export function shadowGateUrl(canary: {
  shadow?: ShadowGateSpec | undefined;
  analysis?: { prometheusUrl?: string | undefined } | undefined;
}): string | undefined {
  return canary.shadow?.prometheusUrl ?? canary.analysis?.prometheusUrl;
}

/** The window a reading at `now` covers: from the gate's start, whole seconds. */
export function gateWindowSeconds(startedAtMs: number, now: Date): number {
  return Math.max(1, Math.ceil((now.getTime() - startedAtMs) / 1000));
}
