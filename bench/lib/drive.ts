import { loadavg } from 'node:os';
import type { LoadRequest } from './correctness.js';
import { ServerProcess, type ServerSpec } from './server-process.js';
import { fmtInt, fmtMs } from './table.js';
import { measureCell, type LoadResult } from './wrk.js';

export interface Cell {
  readonly connections: number;
  readonly result: LoadResult;
  /** The machine's 1-minute load average right after the cell (other work on the machine). */
  readonly load1: number;
}

export interface DriveOptions {
  readonly spec: ServerSpec;
  readonly url: string;
  readonly request: LoadRequest;
  /** Runs once the server is ready and before any load; throws to fail the run. */
  readonly check?: () => Promise<void>;
  readonly concurrencies: readonly number[];
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly log: (message: string) => void;
}

/**
 * Starts one server, checks its answers, measures it at each concurrency in turn, reads its
 * peak RSS (all its processes) and stops it, also when something fails.
 */
export async function driveServer(
  options: DriveOptions,
): Promise<{ cells: Cell[]; peakRssMiB: number }> {
  const { spec, log } = options;
  log(`starting ${spec.label}`);
  const server = await ServerProcess.start(spec);
  try {
    await options.check?.();
    const cells: Cell[] = [];
    for (const connections of options.concurrencies) {
      const result = await measureCell({
        url: options.url,
        body: options.request.body,
        contentType: options.request.contentType,
        headers: options.request.headers,
        connections,
        seconds: options.seconds,
        warmupSeconds: options.warmupSeconds,
      });
      log(
        `  c=${connections}: ${fmtInt(result.rps)} req/s, p50 ${fmtMs(result.p50Ms)} ms, p99 ${fmtMs(result.p99Ms)} ms, errors ${result.errors}, load ${loadavg()[0]?.toFixed(2)}`,
      );
      cells.push({ connections, result, load1: Math.round((loadavg()[0] ?? 0) * 100) / 100 });
    }
    return { cells, peakRssMiB: await server.peakRssMiB() };
  } finally {
    await server.stop();
  }
}
