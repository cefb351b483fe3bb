/**
 * What tracing a share of the requests costs, measured inside one runtime process
 * (docs/benchmarks.md, "Tracing at 10 %, measured inside one process").
 *
 *   node --import tsx bench/observability/same-process.ts [--share 10] [--processes 4]
 *        [--rounds 6] [--seconds 3] [--warmup 3] [--dispatch delay] [--models tiny]
 *        [--untraced unsampled-parent|plain] [--out bench/results/observability-same-process-<time>.json] [--no-build]
 *
 * run.ts compares configurations that are separate processes, and processes of the same code
 * differ from one another by more than the 5 % goal (CPU per request of "tracing off" moved
 * between 88 and 123 µs across fresh processes in one quiet run). Here a single runtime
 * samples no root trace (parentbased_traceidratio at 0) and wrk alternates two kinds of slice
 * on it: in both, every (100 / share)th request carries a caller's traceparent; in one it says
 * the caller did not sample, so nothing is traced, in the other that it did, so exactly that
 * share is traced. (--untraced plain sends no traceparent in the first kind instead, as this
 * bench did before: wrk then skipped its per-request Lua in those slices, a difference in
 * the load besides tracing.) Traced requests get every span a 10 %-sampled runtime makes
 * (server, steps, queue, batch, inference) and the same OTLP export to a loopback sink. The
 * process, its JIT state and its batch regime are the same for both, so their ratio is
 * tracing's cost alone. --processes fresh processes each run --rounds pairs (order
 * alternating), and the figure is the median of all pairs' ratios, with quartiles. Each slice also reads the runtime's GC metrics
 * (nodejs_gc_duration_seconds): scavenges and full collections per 1000 requests.
 *
 * What this leaves out: (1) the cost of having tracing configured when nothing is sampled (the
 * onRequest hook's sampling decision; run.ts's "nothing sampled" against "off"); (2) a traced
 * request here continues a caller's trace instead of starting one: it parses the traceparent
 * header and does not draw a trace id; (3) spans still buffered when a traced slice ends are
 * encoded and exported during the next slice (at most one export of 2048 spans, ~4 ms of CPU,
 * against seconds of CPU per slice).
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
import { batchTotals, type BatchTotals } from '../lib/batch-totals.js';
import { checkAnswers, loadRequest, type LoadRequest } from '../lib/correctness.js';
import { currentLoad } from '../lib/machine.js';
import { metricsText, sumSeries } from '../lib/metrics-text.js';
import { loadBenchModel, type BenchModel, type ModelKey } from '../lib/models.js';
import { buildRuntime, ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { median, quantile } from '../lib/percentile.js';
import {
  formatMedian,
  signedPct,
  summariseMedian,
  type MedianSummary,
} from '../lib/median-interval.js';
import { processCpuSeconds } from '../lib/process-cpu.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import { fmtInt, fmtMs, formatTable } from '../lib/table.js';
import {
  microsPer,
  threadCpuSeconds,
  threadSplit,
  type MicrosBy,
  type ThreadCpu,
} from '../lib/thread-cpu.js';
import type { LoadResult } from '../lib/wrk.js';
import { driveSlice, roundOrder } from './slice-load.js';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';
import { variantEnv } from './variants.js';

const { values: args } = parseArgs({
  options: {
    ...LOAD_FLAGS,
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    models: { type: 'string', default: 'tiny' },
    share: { type: 'string', default: '10' },
    processes: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '6' },
    /** BATCH_DISPATCH; delay fills every batch, so no slice drifts into a smaller batch regime. */
    dispatch: { type: 'string', default: 'delay' },
    /**
     * What untraced slices send: plain requests, or the traced slices' traceparents marked not
     * sampled (wrk then does the same work in both kinds of slice; see drive()).
     */
    untraced: { type: 'string', default: 'unsampled-parent' },
  },
});
if (args.untraced !== 'plain' && args.untraced !== 'unsampled-parent')
  throw new Error(`--untraced must be plain or unsampled-parent, not ${args.untraced}`);
if (args.dispatch !== 'eager' && args.dispatch !== 'delay')
  throw new Error(`--dispatch must be eager or delay, not ${args.dispatch}`);
const SHARE = Number(args.share);
if (!(SHARE > 0 && SHARE <= 100 && Number.isInteger(100 / SHARE)))
  throw new Error(
    `--share ${args.share}: give a percent that divides 100 (1, 2, 5, 10, 20, 50, 100)`,
  );
const EVERY = 100 / SHARE;
const { seconds, warmupSeconds, concurrencies, modelKeys } = loadSettings(args);
const connections = Math.max(...concurrencies);
const processes = Number(args.processes);
const rounds = Number(args.rounds);
const log = benchLog('observability');

type Kind = 'none' | 'traced';

interface Slice {
  readonly model: ModelKey;
  readonly process: number;
  readonly round: number;
  readonly kind: Kind;
  readonly result: LoadResult;
  /** CPU (user + system, all threads) of the runtime over the slice, µs per answered request. */
  readonly cpuMicrosPerRequest: number;
  /** The same by thread: JavaScript main thread, kernel time of all, the other threads. */
  readonly cpuMicrosPerRequestBy: MicrosBy;
  /** Rows per session run the runtime formed in the slice. */
  readonly meanBatch: number;
  /** OTLP export requests the sink received during the slice. */
  readonly exports: number;
  /** The runtime's garbage collections in the slice (nodejs_gc_duration_seconds). */
  readonly gc: SliceGc;
  readonly load1: number;
}

interface SliceGc {
  /** Minor (scavenge) and major collections per 1000 answered requests. */
  readonly minorPerKilo: number;
  readonly majorPerKilo: number;
  /** Time in all collections, µs per answered request; the mean scavenge, ms. */
  readonly microsPerRequest: number;
  readonly minorMeanMs: number;
}

interface GcTotals {
  readonly minorCount: number;
  readonly minorSeconds: number;
  readonly majorCount: number;
  readonly allSeconds: number;
}

async function gcTotals(port: number): Promise<GcTotals> {
  const text = await metricsText(port);
  const of = (suffix: string, kind?: string): number =>
    sumSeries(text, `nodejs_gc_duration_seconds_${suffix}`, kind);
  return {
    minorCount: of('count', 'kind="minor"'),
    minorSeconds: of('sum', 'kind="minor"'),
    majorCount: of('count', 'kind="major"'),
    allSeconds: of('sum'),
  };
}

interface Mark {
  readonly cpu: number;
  readonly threads: ReadonlyMap<number, ThreadCpu>;
  readonly batches: BatchTotals;
  readonly gc: GcTotals;
  readonly exports: number;
}

async function mark(server: ServerProcess, port: number, sink: OtlpSink): Promise<Mark> {
  return {
    cpu: await processCpuSeconds(server.pid),
    threads: await threadCpuSeconds(server.pid),
    batches: await batchTotals(port),
    gc: await gcTotals(port),
    exports: sink.counts().exports,
  };
}

function sliceGc(at: GcTotals, end: GcTotals, requests: number): SliceGc {
  const minor = end.minorCount - at.minorCount;
  const perKilo = (n: number): number => (n * 1000) / Math.max(1, requests);
  return {
    minorPerKilo: perKilo(minor),
    majorPerKilo: perKilo(end.majorCount - at.majorCount),
    microsPerRequest: ((end.allSeconds - at.allSeconds) * 1e6) / Math.max(1, requests),
    minorMeanMs: ((end.minorSeconds - at.minorSeconds) * 1000) / Math.max(1, minor),
  };
}

interface Target {
  readonly model: BenchModel;
  readonly request: LoadRequest;
  readonly sink: OtlpSink;
  readonly logDir: string;
}

async function startRuntime(
  t: Target,
  index: number,
): Promise<{ server: ServerProcess; port: number; url: string }> {
  const port = await freePort();
  const spec = ourRuntimeSpec({
    model: t.model,
    port,
    batching: true,
    logFile: join(t.logDir, `${t.model.name}-same-process-${index}.log`),
    env: { ...variantEnv('tracing-0', t.sink.endpoint), BATCH_DISPATCH: args.dispatch },
  });
  const server = await ServerProcess.start(spec);
  const url = ourInferUrl(t.model, port);
  await checkAnswers(url, 'v2', t.model);
  return { server, port, url };
}

function drive(t: Target, url: string, kind: Kind, secs: number): Promise<LoadResult> {
  const load = {
    url,
    request: t.request,
    connections,
    every: EVERY,
    traceparentWhenUntraced: args.untraced === 'unsampled-parent',
  };
  return driveSlice(load, kind === 'traced', secs);
}

/** One fresh process: warmed with both kinds, then `rounds` pairs in alternating order. */
async function measureProcess(t: Target, index: number): Promise<Slice[]> {
  const { server, port, url } = await startRuntime(t, index);
  const slices: Slice[] = [];
  try {
    await drive(t, url, 'traced', warmupSeconds);
    await drive(t, url, 'none', warmupSeconds);
    for (let round = 1; round <= rounds; round++) {
      const kinds = roundOrder<Kind>(round, 'none', 'traced');
      for (const kind of kinds) {
        const at = await mark(server, port, t.sink);
        const result = await drive(t, url, kind, seconds);
        const end = await mark(server, port, t.sink);
        slices.push(sliceOf(t, server.pid, { index, round, kind }, result, at, end));
      }
    }
  } finally {
    await server.stop();
  }
  log(`process ${index} of ${processes} done, load ${loadavg()[0]?.toFixed(1)}`);
  return slices;
}

function sliceOf(
  t: Target,
  pid: number,
  where: { index: number; round: number; kind: Kind },
  result: LoadResult,
  at: Mark,
  end: Mark,
): Slice {
  if (result.errors > 0)
    throw new Error(`${result.errors} requests failed in a ${where.kind} slice`);
  const perRequest = (s: number): number => (s * 1e6) / Math.max(1, result.requests);
  const threads = threadSplit(pid, at.threads, end.threads);
  return {
    model: t.model.key,
    process: where.index,
    round: where.round,
    kind: where.kind,
    result,
    cpuMicrosPerRequest: perRequest(end.cpu - at.cpu),
    cpuMicrosPerRequestBy: microsPer(threads, result.requests),
    meanBatch:
      (end.batches.rows - at.batches.rows) / Math.max(1, end.batches.runs - at.batches.runs),
    exports: end.exports - at.exports,
    gc: sliceGc(at.gc, end.gc, result.requests),
    load1: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

interface Summary {
  readonly model: ModelKey;
  readonly pairs: number;
  /** Median over all pairs of traced / none CPU per request (same process, same round) − 1. */
  readonly extraCpu: number;
  readonly extraCpuQuartiles: readonly [number, number];
  /** Each process's own median, to see whether one process decides the figure. */
  readonly extraCpuByProcess: readonly number[];
  /**
   * The median of the processes' medians and its distribution-free 95 % interval: processes
   * are the independent units (a process's rounds share its JIT and heap); no interval below
   * six processes.
   */
  readonly extraCpuOverProcesses: MedianSummary;
  readonly noneCpu: number;
  readonly tracedCpu: number;
  readonly extraMicrosBy: MicrosBy;
  readonly meanBatch: { none: number; traced: number };
  readonly rps: { none: number; traced: number };
  readonly p99Ms: { none: number; traced: number };
  /** Export requests the sink received in traced slices and in untraced ones. */
  readonly exports: { none: number; traced: number };
  /** Medians of each kind's slices: GC µs per request, scavenges per 1000 requests and their mean. */
  readonly gc: { none: SliceGc; traced: SliceGc };
}

/** Pairs of the same process and round: [none, traced]. */
function pairsOf(slices: readonly Slice[]): [Slice, Slice][] {
  const pairs: [Slice, Slice][] = [];
  for (const traced of slices.filter((s) => s.kind === 'traced')) {
    const none = slices.find(
      (s) => s.kind === 'none' && s.process === traced.process && s.round === traced.round,
    );
    if (none !== undefined) pairs.push([none, traced]);
  }
  return pairs;
}

function summarise(slices: readonly Slice[], model: ModelKey): Summary {
  const pairs = pairsOf(slices.filter((s) => s.model === model));
  const ratio = ([n, t]: [Slice, Slice]): number =>
    t.cpuMicrosPerRequest / n.cpuMicrosPerRequest - 1;
  const ratios = pairs.map(ratio);
  const byProcess = [...new Set(pairs.map(([n]) => n.process))].map((p) =>
    median(pairs.filter(([n]) => n.process === p).map(ratio)),
  );
  const diff = (f: (s: Slice) => number): number => median(pairs.map(([n, t]) => f(t) - f(n)));
  const of = (kind: Kind, f: (s: Slice) => number): number =>
    median(pairs.map((p) => f(kind === 'none' ? p[0] : p[1])));
  const total = (kind: Kind): number =>
    pairs.reduce((sum, p) => sum + (kind === 'none' ? p[0] : p[1]).exports, 0);
  const both = (f: (s: Slice) => number): { none: number; traced: number } => ({
    none: of('none', f),
    traced: of('traced', f),
  });
  const gcOf = (kind: Kind): SliceGc => ({
    minorPerKilo: of(kind, (s) => s.gc.minorPerKilo),
    majorPerKilo: of(kind, (s) => s.gc.majorPerKilo),
    microsPerRequest: of(kind, (s) => s.gc.microsPerRequest),
    minorMeanMs: of(kind, (s) => s.gc.minorMeanMs),
  });
  return {
    model,
    pairs: pairs.length,
    extraCpu: median(ratios),
    extraCpuQuartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
    extraCpuByProcess: byProcess,
    extraCpuOverProcesses: summariseMedian(byProcess),
    noneCpu: of('none', (s) => s.cpuMicrosPerRequest),
    tracedCpu: of('traced', (s) => s.cpuMicrosPerRequest),
    extraMicrosBy: {
      main: diff((s) => s.cpuMicrosPerRequestBy.main),
      system: diff((s) => s.cpuMicrosPerRequestBy.system),
      others: diff((s) => s.cpuMicrosPerRequestBy.others),
    },
    meanBatch: both((s) => s.meanBatch),
    rps: both((s) => s.result.rps),
    p99Ms: both((s) => s.result.p99Ms),
    exports: { none: total('none'), traced: total('traced') },
    gc: { none: gcOf('none'), traced: gcOf('traced') },
  };
}

const us = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;

function report(slices: readonly Slice[], summaries: readonly Summary[], goals: Goal[]): string {
  const sliceLines = slices.map((s) => [
    String(s.process),
    String(s.round),
    s.kind === 'none' ? 'nothing traced' : `${SHARE} % traced`,
    fmtInt(s.result.rps),
    s.cpuMicrosPerRequest.toFixed(1),
    s.cpuMicrosPerRequestBy.main.toFixed(1),
    s.cpuMicrosPerRequestBy.system.toFixed(1),
    s.cpuMicrosPerRequestBy.others.toFixed(1),
    s.meanBatch.toFixed(1),
    String(s.exports),
    fmtMs(s.result.p99Ms),
    s.load1.toFixed(1),
  ]);
  const summaryLines = summaries.map((s) => [
    s.model,
    String(s.pairs),
    `${s.noneCpu.toFixed(1)} → ${s.tracedCpu.toFixed(1)}`,
    signedPct(s.extraCpu),
    `${signedPct(s.extraCpuQuartiles[0])} … ${signedPct(s.extraCpuQuartiles[1])}`,
    s.extraCpuByProcess.map(signedPct).join(', '),
    formatMedian(s.extraCpuOverProcesses),
    `${us(s.extraMicrosBy.main)} / ${us(s.extraMicrosBy.system)} / ${us(s.extraMicrosBy.others)}`,
    `${s.meanBatch.none.toFixed(1)} → ${s.meanBatch.traced.toFixed(1)}`,
    `${s.exports.none} / ${s.exports.traced}`,
  ]);
  const gcLines = summaries.map((s) => {
    const both = (f: (g: SliceGc) => number, digits: number): string =>
      `${f(s.gc.none).toFixed(digits)} → ${f(s.gc.traced).toFixed(digits)}`;
    return [
      s.model,
      both((g) => g.microsPerRequest, 1),
      both((g) => g.minorPerKilo, 2),
      both((g) => g.minorMeanMs, 2),
      both((g) => g.majorPerKilo, 3),
    ];
  });
  return [
    '',
    formatTable(
      [
        'process',
        'round',
        'slice',
        'req/s',
        'µs CPU/req',
        'main',
        'kernel',
        'others',
        'batch',
        'exports',
        'p99 ms',
        'load',
      ],
      sliceLines,
      3,
    ),
    '',
    `${SHARE} % of requests traced against none, in the same process (pairs of the same round):`,
    formatTable(
      [
        'model',
        'pairs',
        'µs CPU/req',
        'extra CPU',
        'quartiles',
        'by process',
        'over processes (interval)',
        'extra µs/req main / kernel / others',
        'batch',
        'exports none / traced',
      ],
      summaryLines,
      2,
    ),
    '',
    'Garbage collection, medians of the slices, nothing traced → traced:',
    formatTable(
      ['model', 'GC µs/req', 'scavenges per 1000 req', 'mean scavenge ms', 'major per 1000 req'],
      gcLines,
      1,
    ),
    '',
    ...goals.map((g) => goalLine(g, signedPct, '< ')),
  ].join('\n');
}

async function main(): Promise<void> {
  const run = await startRun('observability', log);
  if (!args['no-build']) {
    log('building runtime/dist');
    await buildRuntime();
  }
  const sink = await startOtlpSink();
  const slices: Slice[] = [];
  try {
    for (const modelKey of modelKeys) {
      const model = await loadBenchModel(modelKey);
      const target: Target = {
        model,
        request: loadRequest('v2', model, 1),
        sink,
        logDir: run.logDir,
      };
      for (let p = 1; p <= processes; p++) slices.push(...(await measureProcess(target, p)));
    }
  } finally {
    await sink.close();
  }
  const summaries = modelKeys.map((m) => summarise(slices, m));
  // The goal (issue 20) is for 10 % sampling; other shares are figures without one.
  const goals: Goal[] = (SHARE === 10 ? summaries : []).map((s) => ({
    goal: `${s.model}, c=${connections}: extra CPU per request with ${SHARE} % of requests traced, against none, same process`,
    value: s.extraCpu,
    target: 0.05,
    met: s.extraCpu < 0.05,
  }));
  const loadAtEnd = currentLoad();
  process.stdout.write(
    `${report(slices, summaries, goals)}\n${loadLine(run.machine.loadAtStart, loadAtEnd)}\n`,
  );
  const out = await writeResults(
    'observability-same-process',
    run,
    args.out,
    {
      machine: { ...run.machine, loadAtEnd },
      loadGenerator: `${run.wrk}; 1 thread, one-row V2 infer bodies, every ${EVERY}th request with a sampled traceparent in traced slices`,
      settings: {
        seconds,
        warmupSeconds,
        connections,
        share: SHARE,
        processes,
        rounds,
        dispatch: args.dispatch,
        untraced: args.untraced,
      },
      slices,
      summaries,
      goals,
    },
    'bench/observability/same-process.ts',
  );
  log(`wrote ${out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/observability: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
