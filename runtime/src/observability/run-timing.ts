/**
 * When a session run started and ended, in process.hrtime.bigint() nanoseconds: one
 * monotonic clock for every thread of the process, so a run measured in the session worker
 * lines up with spans measured on the main thread.
 */
export interface RunTiming {
  readonly startedNs: bigint;
  readonly endedNs: bigint;
}

export type RunTimingListener = (timing: RunTiming) => void;

/** An hrtime reading as a performance.now() value of this thread (what span times take). */
export function hrtimeToPerformanceMs(ns: bigint): number {
  const nowNs = process.hrtime.bigint();
  const nowMs = performance.now();
  return nowMs - Number(nowNs - ns) / 1e6;
}
