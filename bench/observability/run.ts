/**
 * What tracing and payload logging cost the runtime
 * (docs/benchmarks.md#tracing-and-payload-logging-issue-20).
 *
 *   node --import tsx bench/observability/run.ts [--seconds 10] [--warmup 2] [--concurrency 64]
 *        [--models tiny] [--rounds 2] [--out bench/results/observability-<time>.json] [--no-build]
 *
 * Rows, each its own runtime process (runtime/dist, batching at its defaults) driven by wrk
 * with one-row V2 infer requests: tracing off; tracing at 10 % and 100 % (OTLP/HTTP to a
 * loopback sink that discards, standing for a remote collector); payload logging of 10 % of
 * requests (JSON lines to the server's log file). --rounds repeats the four in turn, so slow
 * drift of the shared machine falls on all of them alike. Needs `wrk`.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
import { checkAnswers, loadRequest } from '../lib/correctness.js';
import { driveServer, type Cell } from '../lib/drive.js';
import { currentLoad } from '../lib/machine.js';
import { loadBenchModel, type ModelKey } from '../lib/models.js';
import { buildRuntime, ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { freePort } from '../lib/server-process.js';
import { fmtInt, fmtMs, formatTable } from '../lib/table.js';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';

type Variant = 'off' | 'tracing-10' | 'tracing-100' | 'payload-10';

interface Row extends Cell {
  readonly variant: Variant;
  readonly round: number;
  readonly model: ModelKey;
  /** OTLP export requests the sink received during the row (tracing rows). */
  readonly otlpExports: number;
  readonly otlpBytes: number;
}

const VARIANTS: readonly Variant[] = ['off', 'tracing-10', 'tracing-100', 'payload-10'];

const NAMES: Record<Variant, string> = {
  off: 'tracing and payload logging off',
  'tracing-10': 'tracing, 10 % of traces sampled',
  'tracing-100': 'tracing, every trace sampled',
  'payload-10': 'payload logging, 10 % of requests',
};

const { values: args } = parseArgs({
  options: {
    ...LOAD_FLAGS,
    concurrency: { type: 'string', default: '64' },
    models: { type: 'string', default: 'tiny' },
    rounds: { type: 'string', default: '2' },
  },
});
const { seconds, warmupSeconds, concurrencies, modelKeys } = loadSettings(args);
const rounds = Number(args.rounds);
const log = benchLog('observability');

function variantEnv(variant: Variant, sink: OtlpSink): Record<string, string> {
  switch (variant) {
    case 'off':
      return {};
    case 'tracing-10':
    case 'tracing-100':
      return {
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: variant === 'tracing-10' ? '0.1' : '1',
      };
    case 'payload-10':
      return { PAYLOAD_LOG_SAMPLE_RATIO: '0.1', PAYLOAD_LOG_FAILURES: 'true' };
  }
}

async function measure(
  variant: Variant,
  round: number,
  modelKey: ModelKey,
  sink: OtlpSink,
  logDir: string,
): Promise<Row[]> {
  const model = await loadBenchModel(modelKey);
  const port = await freePort();
  const url = ourInferUrl(model, port);
  const spec = ourRuntimeSpec({
    model,
    port,
    batching: true,
    logFile: join(logDir, `${variant}-${modelKey}-${round}.log`),
    env: variantEnv(variant, sink),
  });
  sink.reset();
  const { cells } = await driveServer({
    spec: { ...spec, label: `${NAMES[variant]} (round ${round})` },
    url,
    request: loadRequest('v2', model, 1),
    check: () => checkAnswers(url, 'v2', model),
    concurrencies,
    seconds,
    warmupSeconds,
    log,
  });
  const { exports, bytes } = sink.counts();
  return cells.map((c) => ({
    ...c,
    variant,
    round,
    model: modelKey,
    otlpExports: exports,
    otlpBytes: bytes,
  }));
}

/** Median req/s of a variant over its rounds, at one model and concurrency. */
function medianRps(rows: readonly Row[], variant: Variant, model: ModelKey, conns: number): number {
  const values = rows
    .filter((r) => r.variant === variant && r.model === model && r.connections === conns)
    .map((r) => r.result.rps)
    .sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1
    ? (values[mid] as number)
    : ((values[mid - 1] as number) + (values[mid] as number)) / 2;
}

/** The goals: 10 % sampling costs under 5 %, measured against tracing off. */
function evaluateGoals(rows: readonly Row[]): Goal[] {
  const top = Math.max(...concurrencies);
  const model = modelKeys[0] as ModelKey;
  const off = medianRps(rows, 'off', model, top);
  const cost = (variant: Variant): number => 1 - medianRps(rows, variant, model, top) / off;
  return [
    {
      goal: `${model}, c=${top}: throughput lost to tracing at 10 %`,
      value: cost('tracing-10'),
      target: 0.05,
      met: cost('tracing-10') < 0.05,
    },
  ];
}

function printTable(rows: readonly Row[], goals: readonly Goal[], loads: number[][]): void {
  const lines = rows.map((r) => [
    NAMES[r.variant],
    String(r.round),
    r.model,
    String(r.connections),
    fmtInt(r.result.rps),
    fmtMs(r.result.p50Ms),
    fmtMs(r.result.p99Ms),
    String(r.result.errors),
    r.variant.startsWith('tracing') ? `${r.otlpExports} / ${fmtInt(r.otlpBytes / 1024)} KiB` : '–',
    r.load1.toFixed(1),
  ]);
  const headers = [
    'configuration',
    'round',
    'model',
    'conns',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'OTLP exports',
    'load',
  ];
  const out = [
    '',
    formatTable(headers, lines, 2),
    '',
    ...goals.map((g) => goalLine(g, (n) => `${(n * 100).toFixed(1)}%`, '< ')),
    loadLine(loads[0] ?? [], loads[1] ?? []),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

async function main(): Promise<void> {
  const start = await startRun('observability', log);
  if (!args['no-build']) {
    log('building runtime/dist');
    await buildRuntime();
  }
  const sink = await startOtlpSink();
  const rows: Row[] = [];
  try {
    for (let round = 1; round <= rounds; round++)
      for (const modelKey of modelKeys)
        for (const variant of VARIANTS)
          rows.push(...(await measure(variant, round, modelKey, sink, start.logDir)));
  } finally {
    await sink.close();
  }
  const goals = evaluateGoals(rows);
  const loadAtEnd = currentLoad();
  printTable(rows, goals, [[...start.machine.loadAtStart], [...loadAtEnd]]);
  const out = await writeResults('observability', start, args.out, {
    machine: { ...start.machine, loadAtEnd },
    loadGenerator: `${start.wrk}; 1 thread, one-row V2 infer bodies, ${warmupSeconds} s warm-up per cell`,
    settings: { seconds, warmupSeconds, concurrencies, rounds },
    rows,
    goals,
  });
  log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/observability: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
