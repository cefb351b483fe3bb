/**
 * What tracing and payload logging cost the runtime
 * (docs/benchmarks.md#tracing-and-payload-logging-issue-20).
 *
 *   node --import tsx bench/observability/run.ts [--rounds 10] [--seconds 3] [--warmup 3]
 *        [--concurrency 64] [--models tiny] [--baseline-ref d7ace7c] [--no-baseline]
 *        [--variants off,tracing-10] [--dispatch eager|delay] [--fresh-processes]
 *        [--out bench/results/observability-<time>.json] [--no-build]
 *
 * Configurations, each its own runtime process (batching at its defaults) driven by wrk with
 * one-row V2 infer requests: the baseline, a runtime with no tracing code at all (the commit
 * --baseline-ref, by default the main-line commit just before tracing was merged, built in a
 * temporary git worktree); this runtime with tracing off; tracing with nothing sampled (the
 * path of every unsampled request), 10 % and 100 % (OTLP/HTTP protobuf to a loopback sink
 * that discards, standing for a remote collector); payload logging of 10 % of requests (JSON
 * lines to the server's log file).
 *
 * The measure is the runtime process's CPU time (user + system, all threads, from /proc) per
 * answered request. On a machine shared with other work it still moves by tens of percent
 * from one minute to the next (a neighbour on the same physical core slows every instruction),
 * far more than the differences sought, so one configuration measured after another compares
 * two different machines. Here all configurations run at once, idle but for their turn, and
 * each of --rounds cycles loads each in turn for --seconds (one wrk, rotated order): the
 * cost of a configuration is the median over the cycles of its CPU per request divided by its
 * reference's (tracing off; off's is the baseline) in the same cycle. Needs `wrk`.
 */
import { loadavg } from 'node:os';
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
import type { Cell } from '../lib/drive.js';
import { currentLoad } from '../lib/machine.js';
import { loadBenchModel, type BenchModel, type ModelKey } from '../lib/models.js';
import { buildRuntime, ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { buildRuntimeAt, type RuntimeAtRef } from '../lib/runtime-at-ref.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import { median, quantile } from '../lib/percentile.js';
import { fmtInt, fmtMs, formatTable } from '../lib/table.js';
import { measureCell, type LoadResult } from '../lib/wrk.js';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';
import { processCpuSeconds } from '../lib/process-cpu.js';
import {
  microsPer,
  threadCpuSeconds,
  threadSplit,
  type MicrosBy,
  type ThreadCpu,
} from '../lib/thread-cpu.js';
import { batchTotals, type BatchTotals } from '../lib/batch-totals.js';
import { isVariant, VARIANT_NAMES as NAMES, variantEnv, type Variant } from './variants.js';

/** The main-line commit before the tracing merge (f9a172d): the runtime without tracing code. */
const BEFORE_TRACING = 'd7ace7c';

/** A configuration compared with its reference (off; off with the baseline). */
interface Pair {
  readonly reference: Variant;
  readonly measured: Variant;
}

interface Row extends Cell {
  readonly variant: Variant;
  readonly cycle: number;
  readonly model: ModelKey;
  /**
   * CPU time (user + system) of the runtime process from the start of this slice to the start
   * of its next one (so spans exported in the background while others ran count), per request
   * answered in the slice, in µs.
   */
  readonly cpuMicrosPerRequest: number;
  /**
   * The same CPU split by thread, µs per request: the JavaScript main thread (all a V8 profile
   * sees), the kernel time of all threads (loopback TCP work is charged to the thread that
   * sends: responses and OTLP exports), and the other threads' total (session worker,
   * onnxruntime, libuv pool, GC helpers).
   */
  readonly cpuMicrosPerRequestBy: MicrosBy;
  /** Rows per session run the server formed in the slice (modeldeploy_batch_size). */
  readonly meanBatch: number;
}

const { values: args } = parseArgs({
  options: {
    ...LOAD_FLAGS,
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    models: { type: 'string', default: 'tiny' },
    rounds: { type: 'string', default: '10' },
    'baseline-ref': { type: 'string', default: BEFORE_TRACING },
    'no-baseline': { type: 'boolean', default: false },
    'baseline-variant': { type: 'string', default: 'off' },
    variants: {
      type: 'string',
      default: 'baseline,off,tracing-0,tracing-10,tracing-100,payload-10',
    },
    /**
     * BATCH_DISPATCH of every runtime. With eager (the runtime's default) each process at
     * c=64 settles into a batch regime of its own, 2 to 31 rows per session run, which moves
     * CPU per request more than tracing does; delay fills every batch (32 rows), so two
     * configurations compare at the same batch size.
     */
    dispatch: { type: 'string', default: 'eager' },
    /**
     * Starts every configuration's process anew (and warms it) each cycle. Processes of the
     * same code differ: one ran 30 µs per request more in its onnxruntime threads than its
     * neighbours all run long. Fresh processes turn such a quirk into noise the median
     * absorbs instead of a bias of one configuration.
     */
    'fresh-processes': { type: 'boolean', default: false },
  },
});
if (args.dispatch !== 'eager' && args.dispatch !== 'delay')
  throw new Error(`--dispatch must be eager or delay, not ${args.dispatch}`);
const VARIANTS: readonly Variant[] = parseVariants(args.variants, args['no-baseline']);

/** --variants as a list; off is always in it (the reference of the others). */
function parseVariants(list: string, noBaseline: boolean): Variant[] {
  const names = list.split(',').map((n) => n.trim());
  const bad = names.filter((n) => !isVariant(n));
  if (bad.length > 0) throw new Error(`unknown --variants ${bad.join(', ')}; see variants.ts`);
  const chosen = new Set(names.filter(isVariant));
  chosen.add('off');
  if (noBaseline) chosen.delete('baseline');
  return Object.keys(NAMES).filter((n): n is Variant => isVariant(n) && chosen.has(n));
}
/**
 * The baseline runtime runs as this configuration (--baseline-variant, by default off) and is
 * its reference: an A/B of two commits in the same run (e.g. --baseline-ref HEAD~1
 * --baseline-variant tracing-10).
 */
const BASELINE_AS = baselineVariant(args['baseline-variant']);
const PAIRS: readonly Pair[] = VARIANTS.filter((v) => v !== 'off').map((v) =>
  v === 'baseline'
    ? { reference: 'baseline', measured: BASELINE_AS }
    : { reference: 'off', measured: v },
);

function baselineVariant(name: string): Variant {
  if (!isVariant(name) || name === 'baseline')
    throw new Error(`--baseline-variant ${name}: give one of run.ts's configurations but baseline`);
  return name;
}
const { seconds, warmupSeconds, concurrencies, modelKeys } = loadSettings(args);
const connections = Math.max(...concurrencies);
const rounds = Number(args.rounds);
const log = benchLog('observability');

interface Running {
  readonly variant: Variant;
  readonly server: ServerProcess;
  readonly url: string;
  readonly port: number;
}

/** What a slice reads from its server as it starts (and the next slice as it starts). */
interface Mark {
  readonly cpu: number;
  readonly threads: ReadonlyMap<number, ThreadCpu>;
  readonly batches: BatchTotals;
}

async function mark(r: Running): Promise<Mark> {
  return {
    cpu: await processCpuSeconds(r.server.pid),
    threads: await threadCpuSeconds(r.server.pid),
    batches: await batchTotals(r.port),
  };
}

async function start(
  variant: Variant,
  model: BenchModel,
  sink: OtlpSink,
  logDir: string,
  baseline: RuntimeAtRef | undefined,
): Promise<Running> {
  const port = await freePort();
  const spec = ourRuntimeSpec({
    model,
    port,
    batching: true,
    logFile: join(logDir, `${model.name}-${variant}.log`),
    env: {
      ...variantEnv(variant === 'baseline' ? BASELINE_AS : variant, sink.endpoint),
      BATCH_DISPATCH: args.dispatch,
    },
    ...(variant === 'baseline' && baseline !== undefined && { root: baseline.root }),
  });
  log(`starting ${NAMES[variant]}`);
  const server = await ServerProcess.start(spec);
  const url = ourInferUrl(model, port);
  await checkAnswers(url, 'v2', model);
  return { variant, server, url, port };
}

/**
 * Every configuration runs at once, idle but for its slices: each cycle drives each in turn
 * (one wrk, `seconds` each, a rotated order), so all see the machine of the same minute.
 * A first, unrecorded cycle of `warmupSeconds` each warms them up (with --fresh-processes,
 * every cycle starts and warms new processes).
 */
async function measureModel(
  modelKey: ModelKey,
  sink: OtlpSink,
  logDir: string,
  baseline: RuntimeAtRef | undefined,
): Promise<Row[]> {
  const model = await loadBenchModel(modelKey);
  const request = loadRequest('v2', model, 1);
  const drive = (r: Running, secs: number): Promise<LoadResult> =>
    measureCell({
      url: r.url,
      body: request.body,
      contentType: request.contentType,
      headers: request.headers,
      connections,
      seconds: secs,
      warmupSeconds: 0,
    });
  let running: Running[] = [];
  const startAll = async (): Promise<void> => {
    for (const r of running) await r.server.stop();
    running = [];
    for (const variant of VARIANTS)
      running.push(await start(variant, model, sink, logDir, baseline));
    for (const r of running) await drive(r, warmupSeconds);
  };
  try {
    const slices: {
      r: Running;
      cycle: number;
      at: Mark;
      end: Mark;
      result: LoadResult;
      load1: number;
    }[] = [];
    for (let cycle = 1; cycle <= rounds; cycle++) {
      if (cycle === 1 || args['fresh-processes']) await startAll();
      for (const r of rotated(running, cycle - 1)) {
        const at = await mark(r);
        const result = await drive(r, seconds);
        const end = await mark(r);
        const load1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
        slices.push({ r, cycle, at, end, result, load1 });
      }
      log(`cycle ${cycle} of ${rounds} done, load ${loadavg()[0]?.toFixed(1)}`);
    }
    return slices.map((slice) => {
      const { end } = slice;
      const cpu = end.cpu - slice.at.cpu;
      const threads = threadSplit(slice.r.server.pid, slice.at.threads, end.threads);
      const perRequest = (s: number): number => (s * 1e6) / Math.max(1, slice.result.requests);
      return {
        connections,
        result: slice.result,
        load1: slice.load1,
        variant: slice.r.variant,
        cycle: slice.cycle,
        model: modelKey,
        cpuMicrosPerRequest: perRequest(cpu),
        cpuMicrosPerRequestBy: microsPer(threads, slice.result.requests),
        meanBatch:
          (end.batches.rows - slice.at.batches.rows) /
          Math.max(1, end.batches.runs - slice.at.batches.runs),
      };
    });
  } finally {
    for (const r of running) await r.server.stop();
  }
}

interface PairSummary {
  readonly pair: Pair;
  readonly model: ModelKey;
  /** Median over the cycles of measured/reference CPU per request (same cycle), minus 1. */
  readonly extraCpu: number;
  /** The 25th and 75th percentiles of those ratios: how much the cycles disagreed. */
  readonly extraCpuQuartiles: readonly [number, number];
  readonly referenceCpu: number;
  readonly measuredCpu: number;
  readonly measuredRps: number;
  readonly measuredP99Ms: number;
  /**
   * Where the extra CPU is: the median over the cycles of measured − reference µs per request,
   * by thread (main thread, kernel time of all threads, other threads).
   */
  readonly extraMicrosBy: MicrosBy;
  /** Median rows per session run: the reference's and the measured configuration's. */
  readonly meanBatch: { readonly reference: number; readonly measured: number };
}

function summarise(rows: readonly Row[], pair: Pair, model: ModelKey): PairSummary {
  const of = (variant: Variant): Row[] =>
    rows
      .filter((r) => r.model === model && r.variant === variant)
      .sort((a, b) => a.cycle - b.cycle);
  const reference = of(pair.reference);
  const measured = of(pair.measured);
  const ratios = measured.map(
    (m, i) => m.cpuMicrosPerRequest / (reference[i] as Row).cpuMicrosPerRequest - 1,
  );
  return {
    pair,
    model,
    extraCpu: median(ratios),
    extraCpuQuartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
    referenceCpu: median(reference.map((r) => r.cpuMicrosPerRequest)),
    measuredCpu: median(measured.map((r) => r.cpuMicrosPerRequest)),
    measuredRps: median(measured.map((r) => r.result.rps)),
    measuredP99Ms: median(measured.map((r) => r.result.p99Ms)),
    extraMicrosBy: {
      main: medianDifference(reference, measured, (r) => r.cpuMicrosPerRequestBy.main),
      system: medianDifference(reference, measured, (r) => r.cpuMicrosPerRequestBy.system),
      others: medianDifference(reference, measured, (r) => r.cpuMicrosPerRequestBy.others),
    },
    meanBatch: {
      reference: median(reference.map((r) => r.meanBatch)),
      measured: median(measured.map((r) => r.meanBatch)),
    },
  };
}

/** Median over the cycles of measured − reference of one figure, the same cycle's. */
function medianDifference(
  reference: readonly Row[],
  measured: readonly Row[],
  figure: (row: Row) => number,
): number {
  return median(measured.map((m, i) => figure(m) - figure(reference[i] as Row)));
}

/**
 * The goals: tracing off costs nothing measurable (< 2 % over the baseline without
 * tracing code) and 10 % sampling under 5 % (over tracing off, so that changes on main since
 * the baseline commit do not count as tracing's).
 */
function evaluateGoals(summaries: readonly PairSummary[]): Goal[] {
  const goals: Goal[] = [];
  const target = (measured: Variant): number => (measured === 'off' ? 0.02 : 0.05);
  for (const s of summaries) {
    if (s.pair.measured !== 'off' && s.pair.measured !== 'tracing-10') continue;
    goals.push({
      goal: `${s.model}, c=${connections}: extra CPU per request, ${NAMES[s.pair.measured]}, over ${s.pair.reference}`,
      value: s.extraCpu,
      target: target(s.pair.measured),
      met: s.extraCpu < target(s.pair.measured),
    });
  }
  return goals;
}

const us = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;
const pct = (n: number): string => `${n >= 0 ? '+' : ''}${(n * 100).toFixed(1)} %`;

function printTable(
  rows: readonly Row[],
  summaries: readonly PairSummary[],
  goals: readonly Goal[],
  loads: number[][],
): void {
  const lines = rows.map((r) => [
    String(r.cycle),
    NAMES[r.variant],
    fmtInt(r.result.rps),
    r.cpuMicrosPerRequest.toFixed(0),
    r.cpuMicrosPerRequestBy.main.toFixed(0),
    r.cpuMicrosPerRequestBy.system.toFixed(0),
    r.cpuMicrosPerRequestBy.others.toFixed(0),
    r.meanBatch.toFixed(1),
    fmtMs(r.result.p50Ms),
    fmtMs(r.result.p99Ms),
    String(r.result.errors),
    r.load1.toFixed(1),
  ]);
  const headers = [
    'cycle',
    'configuration',
    'req/s',
    'µs CPU/req',
    'main',
    'kernel',
    'others',
    'batch',
    'p50 ms',
    'p99 ms',
    'errors',
    'load',
  ];
  const summaryLines = summaries.map((s) => [
    NAMES[s.pair.measured],
    s.pair.reference,
    s.model,
    s.measuredCpu.toFixed(0),
    s.referenceCpu.toFixed(0),
    pct(s.extraCpu),
    `${pct(s.extraCpuQuartiles[0])} … ${pct(s.extraCpuQuartiles[1])}`,
    `${us(s.extraMicrosBy.main)} / ${us(s.extraMicrosBy.system)} / ${us(s.extraMicrosBy.others)}`,
    `${s.meanBatch.reference.toFixed(1)} → ${s.meanBatch.measured.toFixed(1)}`,
    fmtInt(s.measuredRps),
    fmtMs(s.measuredP99Ms),
  ]);
  const out = [
    '',
    formatTable(headers, lines, 2),
    '',
    `medians over ${rounds} cycles, c=${connections}; extra CPU is the median of the per-cycle ratios:`,
    formatTable(
      [
        'configuration',
        'vs',
        'model',
        'µs CPU/req',
        'its µs CPU/req',
        'extra CPU',
        'quartiles',
        'extra µs/req main / kernel / others',
        'batch',
        'req/s',
        'p99 ms',
      ],
      summaryLines,
      3,
    ),
    '',
    ...goals.map((g) => goalLine(g, pct, '< ')),
    loadLine(loads[0] ?? [], loads[1] ?? []),
    '',
  ];
  process.stdout.write(out.join('\n'));
}

/** `items` starting at index `by` (mod length): each cycle begins one further on. */
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function main(): Promise<void> {
  const run = await startRun('observability', log);
  if (!args['no-build']) {
    log('building runtime/dist');
    await buildRuntime();
  }
  let baseline: RuntimeAtRef | undefined;
  if (!args['no-baseline']) {
    log(`building the baseline runtime of ${args['baseline-ref']} in a temporary worktree`);
    baseline = await buildRuntimeAt(args['baseline-ref']);
  }
  const sink = await startOtlpSink();
  const rows: Row[] = [];
  try {
    for (const modelKey of modelKeys)
      rows.push(...(await measureModel(modelKey, sink, run.logDir, baseline)));
  } finally {
    await sink.close();
    await baseline?.remove();
  }
  const summaries = modelKeys.flatMap((model) => PAIRS.map((p) => summarise(rows, p, model)));
  const goals = evaluateGoals(summaries);
  const loadAtEnd = currentLoad();
  printTable(rows, summaries, goals, [[...run.machine.loadAtStart], [...loadAtEnd]]);
  const out = await writeResults('observability', run, args.out, {
    machine: { ...run.machine, loadAtEnd },
    loadGenerator: `${run.wrk}; 1 thread, one server loaded at a time in ${seconds} s slices, one-row V2 infer bodies, ${warmupSeconds} s warm-up each`,
    settings: {
      seconds,
      warmupSeconds,
      connections,
      rounds,
      dispatch: args.dispatch,
      freshProcesses: args['fresh-processes'],
    },
    ...(baseline !== undefined && {
      baseline: { ref: args['baseline-ref'], commit: baseline.commit },
    }),
    rows,
    summaries,
    goals,
  });
  log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/observability: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
