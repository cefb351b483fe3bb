/**
 * How close the runtime gets to its two ceilings
 * (docs/benchmarks.md#runtime-against-its-ceilings-issue-5).
 *
 *   node --import tsx bench/runtime/run.ts [--seconds 10] [--warmup 2] [--concurrency 1,16,64]
 *        [--models tiny,heavy] [--out bench/results/runtime-<time>.json] [--no-build]
 *
 * Rows: the raw session.run loop at batch 1 and at the runtime's maxBatchSize (no HTTP), a
 * fastify route answering a constant (the HTTP ceiling), and the runtime (runtime/dist) with
 * batching off (BATCH_MAX_SIZE=1) and on (its defaults; also with V2 binary tensors, and with
 * the session forced onto each thread, SESSION_THREAD=main|worker), each server its own process, driven
 * by wrk over loopback with one-row V2 infer requests. Needs `wrk` (apt-get install wrk).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify, parseArgs } from 'node:util';
import { checkAnswers, loadRequest, type LoadRequest } from '../lib/correctness.js';
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
import { driveServer, type Cell } from '../lib/drive.js';
import { freePort, type ServerSpec } from '../lib/server-process.js';
import { fmtInt, fmtMs, formatTable } from '../lib/table.js';
import type { RawResult } from './raw-session.js';

interface HttpRow extends Cell {
  readonly server:
    | 'constant'
    | 'ours-batching-off'
    | 'ours-batching-on'
    | 'ours-batching-on-main-thread'
    | 'ours-batching-on-worker-thread'
    | 'ours-batching-on-binary';
  readonly model: ModelKey | undefined;
  readonly peakRssMiB: number;
}

interface RawRow {
  readonly model: ModelKey;
  readonly result: RawResult;
}

const { values: args } = parseArgs({ options: LOAD_FLAGS });
const { seconds, warmupSeconds, concurrencies, modelKeys } = loadSettings(args);
const log = benchLog('runtime');

async function rawLoop(model: BenchModel, rows: number): Promise<RawResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'runtime', 'raw-session.ts'),
      '--model',
      model.key,
      '--rows',
      String(rows),
      '--seconds',
      String(seconds),
    ],
    { cwd: REPO_ROOT, timeout: (seconds + 60) * 1000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('RAW_JSON '));
  if (line === undefined) throw new Error(`raw-session printed no result:\n${stdout}`);
  return JSON.parse(line.slice('RAW_JSON '.length)) as RawResult;
}

async function measureServer(
  spec: ServerSpec,
  url: string,
  request: LoadRequest,
  check: (() => Promise<void>) | undefined,
  row: Omit<HttpRow, keyof Cell | 'peakRssMiB'>,
): Promise<HttpRow[]> {
  const { cells, peakRssMiB } = await driveServer({
    spec,
    url,
    request,
    ...(check !== undefined ? { check } : {}),
    concurrencies,
    seconds,
    warmupSeconds,
    log,
  });
  return cells.map((c) => ({ ...row, ...c, peakRssMiB }));
}

/**
 * Compiles the constant server to bench/runtime/dist (git-ignored) with tsc: run under tsx it
 * served 15-20 % fewer requests than compiled, and the runtime itself runs compiled (dist).
 */
async function buildConstantServer(): Promise<string> {
  const outDir = join(REPO_ROOT, 'bench', 'runtime', 'dist');
  await promisify(execFile)(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      join(REPO_ROOT, 'bench', 'runtime', 'constant-server.ts'),
      '--outDir',
      outDir,
      '--target',
      'es2023',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--skipLibCheck',
      '--types',
      'node',
    ],
    { cwd: REPO_ROOT },
  );
  return join(outDir, 'constant-server.js');
}

async function main(): Promise<void> {
  const start = await startRun('runtime', log);
  const { logDir } = start;
  if (!args['no-build']) {
    log('building runtime/dist');
    await buildRuntime();
  }
  const models = await Promise.all(modelKeys.map(loadBenchModel));

  // Each model's ceilings right before its servers, so that they see the same machine load.
  const raw: RawRow[] = [];
  const http: HttpRow[] = [];
  const tinyBody = loadRequest(
    'v2',
    models.find((m) => m.key === 'tiny') ?? (models[0] as BenchModel),
    1,
  );
  const constantPort = await freePort();
  http.push(
    ...(await measureServer(
      {
        label: 'constant route',
        command: process.execPath,
        args: [await buildConstantServer(), '--port', String(constantPort)],
        cwd: REPO_ROOT,
        readyUrl: `http://127.0.0.1:${constantPort}/ready`,
        logFile: join(logDir, 'constant.log'),
      },
      `http://127.0.0.1:${constantPort}/constant`,
      tinyBody,
      undefined,
      { server: 'constant', model: undefined },
    )),
  );

  for (const model of models) {
    for (const rows of [1, OUR_MAX_BATCH]) {
      log(`raw session.run loop: ${model.key}, batch ${rows}`);
      raw.push({ model: model.key, result: await rawLoop(model, rows) });
    }
    // Batching off and on with JSON tensors, then on with the V2 binary tensor extension.
    const variants = [
      { server: 'ours-batching-off', batching: false, protocol: 'v2' },
      { server: 'ours-batching-on', batching: true, protocol: 'v2' },
      { server: 'ours-batching-on-binary', batching: true, protocol: 'v2-binary' },
      // The default (SESSION_THREAD=auto) picks the session's thread from the model's batch
      // time; these rows force each choice beside it, measured in the same minutes.
      {
        server: 'ours-batching-on-main-thread',
        batching: true,
        protocol: 'v2',
        env: { SESSION_THREAD: 'main' },
      },
      {
        server: 'ours-batching-on-worker-thread',
        batching: true,
        protocol: 'v2',
        env: { SESSION_THREAD: 'worker' },
      },
    ] as const;
    for (const variant of variants) {
      const { server, batching, protocol } = variant;
      const env = 'env' in variant ? variant.env : undefined;
      const port = await freePort();
      const url = ourInferUrl(model, port);
      http.push(
        ...(await measureServer(
          ourRuntimeSpec({
            model,
            port,
            batching,
            logFile: join(logDir, `${server}-${model.key}.log`),
            ...(env !== undefined ? { env } : {}),
          }),
          url,
          loadRequest(protocol, model, 1),
          () => checkAnswers(url, protocol, model),
          { server, model: model.key },
        )),
      );
    }
  }

  const goals = evaluateGoals(raw, http);
  const loadAtEnd = currentLoad();
  printTables(raw, http, goals, start.machine.loadAtStart, loadAtEnd);
  const out = await writeResults('runtime', start, args.out, {
    machine: { ...start.machine, loadAtEnd },
    loadGenerator: `${start.wrk}; 1 thread, one-row V2 infer bodies, ${warmupSeconds} s warm-up per cell`,
    settings: {
      seconds,
      warmupSeconds,
      concurrencies,
      maxBatchSize: OUR_MAX_BATCH,
      maxDelayMs: OUR_MAX_DELAY_MS,
    },
    raw,
    http,
    goals,
  });
  log(`wrote ${out}`);
}

/** The goals in docs/benchmarks.md#runtime-against-its-ceilings-issue-5, at the highest concurrency. */
function evaluateGoals(raw: readonly RawRow[], http: readonly HttpRow[]): Goal[] {
  const top = Math.max(...concurrencies);
  const at = (server: HttpRow['server'], model: ModelKey | undefined): number | undefined =>
    http.find((h) => h.server === server && h.model === model && h.connections === top)?.result.rps;
  const goals: Goal[] = [];
  const heavyRaw = raw.find((r) => r.model === 'heavy' && r.result.rows === OUR_MAX_BATCH)?.result
    .rps;
  const heavyOn = at('ours-batching-on', 'heavy');
  if (heavyRaw !== undefined && heavyOn !== undefined) {
    const value = heavyOn / heavyRaw;
    goals.push({
      goal: `heavy, batching on, c=${top}: share of the raw batch-${OUR_MAX_BATCH} loop`,
      value,
      target: 0.8,
      met: value >= 0.8,
    });
  }
  const constant = at('constant', undefined);
  const tinyOn = at('ours-batching-on', 'tiny');
  if (constant !== undefined && tinyOn !== undefined) {
    const value = tinyOn / constant;
    goals.push({
      goal: `tiny, batching on, c=${top}: share of the constant-route ceiling`,
      value,
      target: 0.4,
      met: value >= 0.4,
    });
  }
  return goals;
}

function printTables(
  raw: readonly RawRow[],
  http: readonly HttpRow[],
  goals: readonly Goal[],
  loadAtStart: readonly number[],
  loadAtEnd: readonly number[],
): void {
  const rows: string[][] = [];
  for (const r of raw) {
    rows.push([
      `raw session.run, batch ${r.result.rows}`,
      r.model,
      '–',
      fmtInt(r.result.rps),
      fmtMs(r.result.p50Ms),
      fmtMs(r.result.p99Ms),
      '–',
      '–',
      '–',
    ]);
  }
  const names: Record<HttpRow['server'], string> = {
    constant: 'fastify constant route',
    'ours-batching-off': 'runtime, batching off',
    'ours-batching-on': `runtime, batching on (${OUR_MAX_BATCH}, ${OUR_MAX_DELAY_MS} ms)`,
    'ours-batching-on-binary': 'runtime, batching on, V2 binary tensors',
    'ours-batching-on-main-thread': 'runtime, batching on, SESSION_THREAD=main',
    'ours-batching-on-worker-thread': 'runtime, batching on, SESSION_THREAD=worker',
  };
  for (const h of http) {
    rows.push([
      names[h.server],
      h.model ?? '(tiny body)',
      String(h.connections),
      fmtInt(h.result.rps),
      fmtMs(h.result.p50Ms),
      fmtMs(h.result.p99Ms),
      String(h.result.errors),
      fmtInt(h.peakRssMiB),
      h.load1.toFixed(1),
    ]);
  }
  const out = [
    '',
    formatTable(
      [
        'configuration',
        'model',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'peak RSS MiB',
        'load',
      ],
      rows,
      2,
    ),
    '',
    'raw rows: req/s = rows per second; p50/p99 = one session.run of that batch.',
    ...goals.map((g) => goalLine(g, (n) => `${(n * 100).toFixed(0)}%`)),
    loadLine(loadAtStart, loadAtEnd),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/runtime: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
