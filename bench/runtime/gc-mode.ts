/**
 * Why the runtime runs with `--single-threaded-gc` (runtime/src/node-flags.ts): fresh runtime
 * processes, alternately with V8's default garbage collector (four helper threads) and with
 * the flag, each loaded by wrk at c=64 with one-row V2 requests (tiny model), reporting CPU
 * per request, latency and the mean minor GC (scavenge) time of the measured run.
 *
 *   node --import tsx bench/runtime/gc-mode.ts [--processes 10] [--cpus 0] [--seconds 6]
 *
 * --cpus pins each runtime and wrk to those CPUs (taskset), as a pod on exclusive CPUs runs;
 * --cpus all leaves both unpinned. Each process serves a warm-up run first (cold JIT).
 */
import { parseArgs } from 'node:util';
import { benchLog, startRun, writeResults } from '../lib/bench-run.js';
import { loadRequest, type LoadRequest } from '../lib/correctness.js';
import { pinProcess } from '../lib/cpu-affinity.js';
import { loadBenchModel, type BenchModel } from '../lib/models.js';
import { buildRuntime, ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { median } from '../lib/percentile.js';
import { processCpuSeconds } from '../lib/process-cpu.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import { fmtInt, fmtMs, formatTable } from '../lib/table.js';
import { measureCell, type LoadResult } from '../lib/wrk.js';
import { metricsText, sumSeries } from '../lib/metrics-text.js';
import { RUNTIME_NODE_FLAGS } from '../../runtime/src/node-flags.js';

const { values: args } = parseArgs({
  options: {
    processes: { type: 'string', default: '10' },
    cpus: { type: 'string', default: '0' },
    seconds: { type: 'string', default: '6' },
    out: { type: 'string' },
  },
});
const log = benchLog('gc-mode');
const MODES = { default: [] as string[], 'single-threaded': [...RUNTIME_NODE_FLAGS] };
type Mode = keyof typeof MODES;

interface Row {
  readonly mode: Mode;
  readonly result: LoadResult;
  readonly cpuUsPerRequest: number;
  readonly scavengeMs: number;
}

/** The sum and count of the runtime's minor GCs so far (nodejs_gc_duration_seconds). */
async function scavenges(port: number): Promise<{ seconds: number; count: number }> {
  const text = await metricsText(port);
  const minor = 'kind="minor"';
  return {
    seconds: sumSeries(text, 'nodejs_gc_duration_seconds_sum', minor),
    count: sumSeries(text, 'nodejs_gc_duration_seconds_count', minor),
  };
}

/** The bench's model and its one-row V2 request, loaded once for every process. */
interface Load {
  readonly model: BenchModel;
  readonly request: LoadRequest;
}

async function measureProcess(
  mode: Mode,
  index: number,
  logDir: string,
  { model, request }: Load,
): Promise<Row> {
  const port = await freePort();
  const server = await ServerProcess.start(
    ourRuntimeSpec({
      model,
      port,
      batching: true,
      logFile: `${logDir}/runtime-${index}-${mode}.log`,
      env: { BATCH_DISPATCH: 'delay', SESSION_THREAD: 'main' },
      nodeFlags: MODES[mode],
    }),
  );
  const pinned = args.cpus !== 'all';
  try {
    if (pinned) await pinProcess(server.pid, args.cpus);
    let row: Row | undefined;
    for (const measured of [false, true]) {
      let cpuBefore = 0;
      let gcBefore = { seconds: 0, count: 0 };
      const result = await measureCell({
        beforeMeasure: async () => {
          cpuBefore = await processCpuSeconds(server.pid);
          gcBefore = await scavenges(port);
        },
        url: ourInferUrl(model, port),
        body: request.body,
        contentType: request.contentType,
        headers: request.headers,
        connections: 64,
        seconds: Number(args.seconds),
        warmupSeconds: 2,
        ...(pinned ? { cpus: args.cpus } : {}),
      });
      if (!measured) continue;
      const gc = await scavenges(port);
      row = {
        mode,
        result,
        cpuUsPerRequest:
          (((await processCpuSeconds(server.pid)) - cpuBefore) * 1e6) / result.requests,
        scavengeMs: ((gc.seconds - gcBefore.seconds) * 1000) / (gc.count - gcBefore.count),
      };
      log(
        `${mode}: ${fmtInt(result.rps)} req/s, ${row.cpuUsPerRequest.toFixed(1)} µs CPU per request, p99 ${fmtMs(result.p99Ms)} ms, scavenge ${row.scavengeMs.toFixed(2)} ms`,
      );
    }
    if (row === undefined) throw new Error('no measured run');
    return row;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const start = await startRun('gc-mode', log);
  await buildRuntime();
  const rows: Row[] = [];
  const modes = Object.keys(MODES) as Mode[];
  const model = await loadBenchModel('tiny');
  const load: Load = { model, request: loadRequest('v2', model, 1) };
  for (let i = 0; i < Number(args.processes); i++)
    rows.push(await measureProcess(modes[i % modes.length] as Mode, i, start.logDir, load));
  const lines = modes.map((mode) => {
    const of = rows.filter((r) => r.mode === mode);
    const m = (f: (r: Row) => number): number => median(of.map(f));
    const cpu = of.map((r) => r.cpuUsPerRequest.toFixed(0)).join(', ');
    return [
      mode,
      String(of.length),
      fmtInt(m((r) => r.result.rps)),
      m((r) => r.cpuUsPerRequest).toFixed(1),
      cpu,
      fmtMs(m((r) => r.result.p50Ms)),
      fmtMs(m((r) => r.result.p99Ms)),
      fmtMs(Math.max(...of.map((r) => r.result.p99Ms))),
      m((r) => r.scavengeMs).toFixed(2),
      Math.max(...of.map((r) => r.scavengeMs)).toFixed(2),
    ];
  });
  const table = formatTable(
    [
      'GC',
      'processes',
      'req/s',
      'CPU µs/req',
      'by process',
      'p50 ms',
      'p99 ms',
      'worst p99',
      'scavenge ms',
      'worst scavenge',
    ],
    lines,
  );
  const path = await writeResults('gc-mode', start, args.out, {
    machine: start.machine,
    cpus: args.cpus,
    seconds: Number(args.seconds),
    rows,
  });
  process.stdout.write(`medians over processes, CPUs ${args.cpus}\n${table}\nresults: ${path}\n`);
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
