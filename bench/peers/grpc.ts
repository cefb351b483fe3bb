/**
 * Open Inference Protocol V2 over gRPC: our runtime against Seldon MLServer's gRPC endpoint,
 * tiny and heavy models, one run (docs/benchmarks.md#grpc-against-mlserver-issue-22).
 *
 *   npm run build -w runtime
 *   node --import tsx bench/peers/grpc.ts [--seconds 10] [--warmup 2] [--connections 64]
 *        [--models tiny,heavy] [--out bench/results/peers-grpc-<time>.json] [--no-build]
 *
 * Each server runs alone on 127.0.0.1: ours from runtime/dist with its batching defaults
 * (32 rows, 2 ms) and GRPC_PORT; MLServer (installed by bench/peers/setup-venv.sh, the venv
 * bench/peers/run.ts uses) with the same adaptive batching and one parallel worker per core.
 * The load generator is bench/runtime/load-client.ts in its own process: one grpc-js
 * channel, `connections` calls in flight, raw_input_contents, one row per call. It checks the
 * first answer against the golden outputs before anything is measured, so a server that
 * answers wrongly fails the run.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import {
  benchLog,
  goalLine,
  loadLine,
  startRun,
  writeResults,
  type Goal,
} from '../lib/bench-run.js';
import { runLoadClient } from '../lib/load-client-process.js';
import { currentLoad } from '../lib/machine.js';
import { loadBenchModel, REPO_ROOT, type BenchModel, type ModelKey } from '../lib/models.js';
import {
  buildRuntime,
  OUR_MAX_BATCH,
  OUR_MAX_DELAY_MS,
  ourRuntimeSpec,
} from '../lib/our-runtime.js';
import { freePort, ServerProcess, type ServerSpec } from '../lib/server-process.js';
import { fmtInt, fmtMs, fmtRatio, formatTable } from '../lib/table.js';
import type { LoadCount } from '../runtime/load-client.js';
import {
  MLSERVER_NAME,
  MLSERVER_WORKERS,
  mlserverTarget,
  PEER_VENV_ROOT,
} from './mlserver-peer.js';

type ServerKey = 'ours' | 'mlserver';
const SERVER_NAMES: Record<ServerKey, string> = {
  ours: `ours, gRPC, batching (${OUR_MAX_BATCH}, ${OUR_MAX_DELAY_MS} ms)`,
  mlserver: `${MLSERVER_NAME}, gRPC`,
};

interface Row {
  readonly server: ServerKey;
  readonly model: ModelKey;
  readonly rps: number;
  readonly load: LoadCount;
  /** 1-minute load average when the cell finished. */
  readonly load1: number;
}

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    models: { type: 'string', default: 'tiny,heavy' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
  },
});
const modelKeys = args.models.split(',') as ModelKey[];
const log = benchLog('peers-grpc');

/** The server's spec and its gRPC host:port. */
async function grpcServer(
  server: ServerKey,
  model: BenchModel,
  logDir: string,
): Promise<{ spec: ServerSpec; target: string }> {
  const port = await freePort();
  const logFile = join(logDir, `${server}-${model.key}.log`);
  if (server === 'mlserver') {
    const peer = await mlserverTarget(model, port, logFile);
    return { spec: peer.spec, target: peer.grpcTarget };
  }
  const grpcPort = await freePort();
  const spec = ourRuntimeSpec({
    model,
    port,
    batching: true,
    logFile,
    env: { GRPC_ENABLED: 'true', GRPC_PORT: String(grpcPort), MODEL_NAME: model.name },
  });
  return { spec, target: `127.0.0.1:${grpcPort}` };
}

async function measure(server: ServerKey, model: BenchModel, logDir: string): Promise<Row> {
  const { spec, target } = await grpcServer(server, model, logDir);
  log(`${SERVER_NAMES[server]} for ${model.key}: starting`);
  const process_ = await ServerProcess.start({ ...spec, label: `${spec.label} for ${model.key}` });
  try {
    const load = await runLoadClient([
      ...['--protocol', 'grpc', '--target', target, '--model', model.key],
      ...['--name', model.name, '--tolerance', String(model.tolerance)],
      ...['--connections', args.connections, '--seconds', args.seconds, '--warmup', args.warmup],
    ]);
    log(
      `${SERVER_NAMES[server]} for ${model.key}: ${fmtInt(load.answered / load.seconds)} req/s, p99 ${fmtMs(load.p99Ms)} ms, ${load.failed} failed`,
    );
    return {
      server,
      model: model.key,
      rps: load.answered / load.seconds,
      load,
      load1: currentLoad()[0] ?? 0,
    };
  } finally {
    await process_.stop();
  }
}

/** The goals: ≥ 1.5× MLServer's gRPC req/s on tiny, ≥ parity on heavy, p99 no worse. */
function goals(rows: readonly Row[]): Goal[] {
  const out: Goal[] = [];
  const c = args.connections;
  for (const [model, target] of [
    ['tiny', 1.5],
    ['heavy', 1],
  ] as const) {
    const ours = rows.find((r) => r.server === 'ours' && r.model === model);
    const theirs = rows.find((r) => r.server === 'mlserver' && r.model === model);
    if (ours === undefined || theirs === undefined) continue;
    const value = ours.rps / theirs.rps;
    out.push({
      goal: `${model}, c=${c}: gRPC req/s ours / MLServer`,
      value,
      target,
      met: value >= target,
    });
    const p99 = ours.load.p99Ms / theirs.load.p99Ms;
    out.push({
      goal: `${model}, c=${c}: gRPC p99 ours / MLServer (lower is better)`,
      value: p99,
      target: 1,
      met: p99 <= 1,
    });
  }
  return out;
}

function report(
  rows: readonly Row[],
  met: readonly Goal[],
  start: readonly number[],
  end: readonly number[],
): void {
  const table = formatTable(
    ['server', 'model', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'load'],
    rows.map((r) => [
      SERVER_NAMES[r.server],
      r.model,
      args.connections,
      fmtInt(r.rps),
      fmtMs(r.load.p50Ms),
      fmtMs(r.load.p99Ms),
      String(r.load.failed),
      r.load1.toFixed(1),
    ]),
    2,
  );
  const lines = met.map((g) =>
    goalLine(
      g,
      (n) => (g.goal.includes('p99') ? n.toFixed(2) : fmtRatio(n)),
      g.goal.includes('p99') ? '≤ ' : '≥ ',
    ),
  );
  process.stdout.write(['', table, '', ...lines, loadLine(start, end), ''].join('\n'));
}

async function main(): Promise<void> {
  const start = await startRun('peers-grpc', log);
  log('installing the peers from PyPI if needed (bench/peers/setup-venv.sh)');
  await promisify(execFile)('bash', [join(REPO_ROOT, 'bench', 'peers', 'setup-venv.sh')], {
    env: { ...process.env, BENCH_VENV_ROOT: PEER_VENV_ROOT },
    timeout: 900_000,
  });
  if (!args['no-build']) {
    log('building runtime/dist');
    await buildRuntime();
  }
  const rows: Row[] = [];
  for (const model of await Promise.all(modelKeys.map(loadBenchModel))) {
    for (const server of ['ours', 'mlserver'] as const)
      rows.push(await measure(server, model, start.logDir));
  }
  const met = goals(rows);
  const loadAtEnd = currentLoad();
  report(rows, met, start.machine.loadAtStart, loadAtEnd);
  const out = await writeResults(
    'peers-grpc',
    start,
    args.out,
    {
      machine: { ...start.machine, loadAtEnd },
      loadGenerator: `bench/runtime/load-client.ts (grpc-js, one channel), ${args.warmup} s warm-up, one-row raw_input_contents requests`,
      settings: {
        seconds: Number(args.seconds),
        connections: Number(args.connections),
        mlserverParallelWorkers: MLSERVER_WORKERS,
      },
      servers: SERVER_NAMES,
      results: rows,
      goals: met,
    },
    'bench/peers/grpc.ts',
  );
  log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/peers/grpc: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
