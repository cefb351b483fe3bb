import { readFile, readdir } from 'node:fs/promises';
import { statCpuSeconds } from './process-cpu.js';

/** CPU seconds of one thread so far: user + system, and system (kernel) alone. */
export interface ThreadCpu {
  readonly total: number;
  readonly system: number;
}

/** CPU seconds by thread id, for every thread of a process right now. */
export async function threadCpuSeconds(pid: number): Promise<Map<number, ThreadCpu>> {
  const out = new Map<number, ThreadCpu>();
  const tids = await readdir(`/proc/${pid}/task`);
  await Promise.all(
    tids.map(async (tid) => {
      try {
        const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const { user, system } = statCpuSeconds(stat);
        out.set(Number(tid), { total: user + system, system });
      } catch {
        // The thread ended between readdir and readFile; its time stays in the process total.
      }
    }),
  );
  return out;
}

/**
 * How a process's CPU over an interval splits between its JavaScript main thread (tid = pid)
 * and its busiest other threads (for the runtime: the session worker's thread and
 * onnxruntime's intra-op pool, which a V8 profile of the main thread does not see).
 */
export interface ThreadSplit {
  readonly mainSeconds: number;
  /** Kernel time of all threads (system calls, loopback TCP work done on their behalf). */
  readonly systemSeconds: number;
  /** CPU seconds of the other threads, busiest first (those under 1 % of the total left out). */
  readonly others: readonly number[];
}

export function threadSplit(
  pid: number,
  before: ReadonlyMap<number, ThreadCpu>,
  after: ReadonlyMap<number, ThreadCpu>,
): ThreadSplit {
  const deltas: number[] = [];
  let mainSeconds = 0;
  let systemSeconds = 0;
  let total = 0;
  for (const [tid, now] of after) {
    const then = before.get(tid);
    const used = now.total - (then?.total ?? 0);
    systemSeconds += now.system - (then?.system ?? 0);
    total += used;
    if (tid === pid) mainSeconds = used;
    else deltas.push(used);
  }
  const others = deltas.filter((s) => s >= total * 0.01).sort((a, b) => b - a);
  return { mainSeconds, systemSeconds, others };
}

/** A split in µs per unit of work (e.g. per answered request). */
export interface MicrosBy {
  readonly main: number;
  readonly system: number;
  /** The other threads together. */
  readonly others: number;
}

export function microsPer(split: ThreadSplit, units: number): MicrosBy {
  const per = (seconds: number): number => (seconds * 1e6) / Math.max(1, units);
  return {
    main: per(split.mainSeconds),
    system: per(split.systemSeconds),
    others: per(split.others.reduce((a, b) => a + b, 0)),
  };
}
