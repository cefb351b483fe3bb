/**
 * Our runtime against two peers on the same machine, same load generator, same models and
 * inputs (docs/benchmarks.md#against-the-peers-issue-9).
 *
 *   node --import tsx bench/peers/run.ts [--seconds 10] [--warmup 2] [--concurrency 1,16,64]
 *        [--models tiny,heavy] [--servers ours-off,ours-on,fastapi,mlserver]
 *        [--out bench/results/peers-<time>.json] [--no-build]
 *
 * Servers, each started in turn on 127.0.0.1 as its own process group:
 *   ours-off  runtime/dist with BATCH_MAX_SIZE=1
 *   ours-on   runtime/dist with its batching defaults (32 rows, 2 ms)
 *   fastapi   peer A: FastAPI + uvicorn (one worker per core) + onnxruntime, bench/peers/fastapi_peer
 *   mlserver  peer B: Seldon MLServer with bench/peers/mlserver_peer's onnxruntime runtime,
 *             adaptive batching 32 rows / 2 ms, one parallel worker per core, V2 protocol
 * Peers are installed from PyPI by bench/peers/setup-venv.sh (run first, idempotent).
 * Every server must first answer the golden request with the golden numbers, else the run fails.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { checkAnswers, loadRequest, type Protocol } from '../lib/correctness.js';
import { driveServer, type Cell } from '../lib/drive.js';
import {
  benchLog,
  goalLine,
  LOAD_FLAGS,
  loadLine,
  loadSettings,
  startRun,
  writeResults,
  type Goal,
} from '../lib/bench-run.js';
import { currentLoad } from '../lib/machine.js';
import { loadBenchModel, REPO_ROOT, type BenchModel, type ModelKey } from '../lib/models.js';
import {
  buildRuntime,
  OUR_MAX_BATCH,
  OUR_MAX_DELAY_MS,
  ourInferUrl,
  ourRuntimeSpec,
} from '../lib/our-runtime.js';
import { freePort, type ServerSpec } from '../lib/server-process.js';
import {
  MLSERVER_NAME,
  MLSERVER_WORKERS,
  mlserverTarget,
  PEER_VENV_ROOT,
  threadsPerWorker,
} from './mlserver-peer.js';
import { fmtInt, fmtMs, fmtRatio, formatTable } from '../lib/table.js';

const exec = promisify(execFile);

type ServerKey = 'ours-off' | 'ours-on' | 'fastapi' | 'mlserver';
const SERVER_KEYS: readonly ServerKey[] = ['ours-off', 'ours-on', 'fastapi', 'mlserver'];
const SERVER_NAMES: Record<ServerKey, string> = {
  'ours-off': 'ours, batching off',
  'ours-on': `ours, batching on (${OUR_MAX_BATCH}, ${OUR_MAX_DELAY_MS} ms)`,
  fastapi: 'peer A: FastAPI + uvicorn',
  mlserver: MLSERVER_NAME,
};

interface ResultRow extends Cell {
  readonly server: ServerKey;
  readonly model: ModelKey;
  readonly peakRssMiB: number;
}

/** How to start one server for one model and where to send its requests. */
interface Target {
  readonly spec: ServerSpec;
  readonly url: string;
  readonly protocol: Protocol;
}

const { values: args } = parseArgs({
  options: { ...LOAD_FLAGS, servers: { type: 'string', default: SERVER_KEYS.join(',') } },
});
const { seconds, warmupSeconds, concurrencies, modelKeys } = loadSettings(args);
const serverKeys = args.servers.split(',') as ServerKey[];
const venvRoot = PEER_VENV_ROOT;
/** Peer A's worker processes: one per core, as uvicorn's deployment guide suggests. */
const FASTAPI_WORKERS = Number(process.env.BENCH_FASTAPI_WORKERS ?? availableParallelism());

const log = benchLog('peers');

async function target(server: ServerKey, model: BenchModel, logDir: string): Promise<Target> {
  const port = await freePort();
  const logFile = join(logDir, `${server}-${model.key}.log`);
  switch (server) {
    case 'ours-off':
    case 'ours-on':
      return {
        spec: ourRuntimeSpec({ model, port, batching: server === 'ours-on', logFile }),
        url: ourInferUrl(model, port),
        protocol: 'v2',
      };
    case 'fastapi':
      return {
        spec: {
          label: SERVER_NAMES.fastapi,
          command: join(venvRoot, 'fastapi', 'bin', 'uvicorn'),
          args: [
            'app:app',
            '--app-dir',
            join(REPO_ROOT, 'bench', 'peers', 'fastapi_peer'),
            '--host',
            '127.0.0.1',
            '--port',
            String(port),
            '--workers',
            String(FASTAPI_WORKERS),
            '--no-access-log',
            '--log-level',
            'warning',
          ],
          env: { MODEL_PATH: model.path, ORT_THREADS: threadsPerWorker(FASTAPI_WORKERS) },
          readyUrl: `http://127.0.0.1:${port}/ready`,
          logFile,
        },
        url: `http://127.0.0.1:${port}/predict`,
        protocol: 'rows',
      };
    case 'mlserver': {
      const peer = await mlserverTarget(model, port, logFile);
      return { spec: peer.spec, url: peer.url, protocol: 'v2' };
    }
  }
}

async function peerVersions(): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const script =
    'import importlib.metadata as m, json, sys\n' +
    'names = sys.argv[1:]\n' +
    'out = {"python": sys.version.split()[0]}\n' +
    'for n in names:\n' +
    '    try: out[n] = m.version(n)\n' +
    '    except m.PackageNotFoundError: pass\n' +
    'print(json.dumps(out))\n';
  const wanted: Record<string, string[]> = {
    fastapi: ['fastapi', 'uvicorn', 'pydantic', 'onnxruntime', 'numpy', 'uvloop', 'httptools'],
    mlserver: ['mlserver', 'fastapi', 'uvicorn', 'pydantic', 'onnxruntime', 'numpy', 'uvloop'],
  };
  for (const [peer, names] of Object.entries(wanted)) {
    const { stdout } = await exec(join(venvRoot, peer, 'bin', 'python'), ['-c', script, ...names]);
    for (const [k, v] of Object.entries(JSON.parse(stdout) as Record<string, string>)) {
      versions[`${peer === 'fastapi' ? 'peer A' : 'peer B'} ${k}`] = v;
    }
  }
  return versions;
}

async function main(): Promise<void> {
  const start = await startRun('peers', log);
  if (serverKeys.includes('fastapi') || serverKeys.includes('mlserver')) {
    log('installing the peers from PyPI if needed (bench/peers/setup-venv.sh)');
    await exec('bash', [join(REPO_ROOT, 'bench', 'peers', 'setup-venv.sh')], {
      env: { ...process.env, BENCH_VENV_ROOT: venvRoot },
      timeout: 900_000,
    });
  }
  if (!args['no-build'] && serverKeys.some((s) => s.startsWith('ours'))) {
    log('building runtime/dist');
    await buildRuntime();
  }
  const versions = await peerVersions().catch(() => ({}));
  const models = await Promise.all(modelKeys.map(loadBenchModel));

  const rows: ResultRow[] = [];
  for (const model of models) {
    for (const server of serverKeys) {
      const t = await target(server, model, start.logDir);
      const { cells, peakRssMiB } = await driveServer({
        spec: { ...t.spec, label: `${t.spec.label} for ${model.key}` },
        url: t.url,
        request: loadRequest(t.protocol, model, 1),
        check: () => checkAnswers(t.url, t.protocol, model),
        concurrencies,
        seconds,
        warmupSeconds,
        log,
      });
      rows.push(...cells.map((c) => ({ ...c, server, model: model.key, peakRssMiB })));
    }
  }

  const goals = evaluateGoals(rows);
  const loadAtEnd = currentLoad();
  printTables(rows, goals, start.machine.loadAtStart, loadAtEnd);
  const out = await writeResults('peers', start, args.out, {
    machine: { ...start.machine, loadAtEnd },
    versions,
    loadGenerator: `${start.wrk}; 1 thread, one-row requests, ${warmupSeconds} s warm-up per cell`,
    settings: {
      seconds,
      warmupSeconds,
      concurrencies,
      fastapiWorkers: FASTAPI_WORKERS,
      mlserverParallelWorkers: MLSERVER_WORKERS,
    },
    servers: SERVER_NAMES,
    results: rows,
    goals,
  });
  log(`wrote ${out}`);
}

function find(rows: readonly ResultRow[], server: ServerKey, model: ModelKey, c: number) {
  return rows.find((r) => r.server === server && r.model === model && r.connections === c)?.result;
}

/** The goals in docs/benchmarks.md#against-the-peers-issue-9, at the highest concurrency. */
function evaluateGoals(rows: readonly ResultRow[]): Goal[] {
  const top = Math.max(...concurrencies);
  const goals: Goal[] = [];
  const ratio = (model: ModelKey, peer: ServerKey, target: number, label: string): void => {
    const ours = find(rows, 'ours-on', model, top);
    const theirs = find(rows, peer, model, top);
    if (ours === undefined || theirs === undefined) return;
    const value = ours.rps / theirs.rps;
    goals.push({
      goal: `${model}, c=${top}: req/s ours (batching on) / ${label}`,
      value,
      target,
      met: value >= target,
    });
    const p99 = ours.p99Ms / theirs.p99Ms;
    goals.push({
      goal: `${model}, c=${top}: p99 ours / ${label} (lower is better)`,
      value: p99,
      target: 1,
      met: p99 <= 1,
    });
  };
  ratio('tiny', 'fastapi', 3, 'peer A');
  ratio('tiny', 'mlserver', 1.5, 'peer B');
  ratio('heavy', 'mlserver', 1, 'peer B');
  return goals;
}

/** One line per model and concurrency: every server's req/s side by side, ratios, p99s. */
function comparison(rows: readonly ResultRow[]): string[][] {
  const out: string[][] = [];
  for (const model of modelKeys) {
    for (const c of concurrencies) {
      const get = (server: ServerKey) => find(rows, server, model, c);
      const [off, on, a, b] = [get('ours-off'), get('ours-on'), get('fastapi'), get('mlserver')];
      const ratio = (x: number | undefined, y: number | undefined): string =>
        x === undefined || y === undefined ? '–' : fmtRatio(x / y);
      out.push([
        model,
        String(c),
        fmtInt(off?.rps),
        fmtInt(on?.rps),
        fmtInt(a?.rps),
        fmtInt(b?.rps),
        ratio(on?.rps, a?.rps),
        ratio(on?.rps, b?.rps),
        fmtMs(on?.p99Ms),
        fmtMs(a?.p99Ms),
        fmtMs(b?.p99Ms),
      ]);
    }
  }
  return out;
}

function printTables(
  rows: readonly ResultRow[],
  goals: readonly Goal[],
  loadAtStart: readonly number[],
  loadAtEnd: readonly number[],
): void {
  const main = rows.map((r) => {
    const ours = find(rows, 'ours-on', r.model, r.connections);
    return [
      SERVER_NAMES[r.server],
      r.model,
      String(r.connections),
      fmtInt(r.result.rps),
      fmtMs(r.result.p50Ms),
      fmtMs(r.result.p99Ms),
      String(r.result.errors),
      fmtInt(r.peakRssMiB),
      r.load1.toFixed(1),
      r.server === 'ours-on' || ours === undefined ? '' : fmtRatio(ours.rps / r.result.rps),
    ];
  });
  const out = [
    '',
    formatTable(
      [
        'server',
        'model',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'peak RSS MiB',
        'load',
        'ours-on / this',
      ],
      main,
      2,
    ),
    '',
    formatTable(
      [
        'model',
        'conns',
        'ours off req/s',
        'ours on req/s',
        'A req/s',
        'B req/s',
        'on/A',
        'on/B',
        'p99 ms on',
        'p99 ms A',
        'p99 ms B',
      ],
      comparison(rows),
      1,
    ),
    '',
    ...goals.map((g) => goalLine(g, (n) => n.toFixed(2), g.goal.includes('p99') ? '≤ ' : '≥ ')),
    loadLine(loadAtStart, loadAtEnd),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/peers: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
