/**
 * What mirroring to a shadow costs the user (docs/shadow.md#what-it-costs, issue 21).
 *
 *   node --import tsx bench/shadow/run.ts [--seconds 10] [--warmup 2] [--concurrency 64]
 *        [--percents 0,10,100] [--rounds 5] [--warmup-rounds 1] [--layout split|shared]
 *        [--cpu-prof DIR] [--against REF] [--dispatch eager|delay]
 *        [--shadow runtime|recorded] [--restart-every N] [--out bench/results/shadow-<time>.json] [--no-build]
 *
 * One shadow runtime (the tiny model, track shadow) runs throughout, and for each percent a
 * stable runtime (runtime/dist, the tiny model, default batching) mirrors that share of its
 * answered requests to it (0: SHADOW_TARGET_URL unset, no mirroring code on the path). All of
 * them stay up; each of --rounds loads every stable runtime once, in a rotated order, with
 * wrk over loopback and one-row V2 infer requests, and the report takes medians over the
 * rounds (the p99 rise as each round's ratio to the same round's p99 without a shadow). After each cell
 * the stable runtime's shadow counters are read from /metrics, and each process's CPU time
 * over the measured run from /proc.
 *
 * With --layout split (the default) the stable runtime and wrk run on CPU 0 and the shadow on
 * CPU 1, as on a cluster where the shadow's pods have CPU of their own: the user-facing
 * figures then move only with what mirroring costs the stable pod (the copy, the client, the
 * comparison). With --layout shared all three share both cores, so the shadow's own
 * inference comes out of the users' share too. Needs `wrk` (apt-get install wrk) and taskset.
 */
import { readFile, writeFile } from 'node:fs/promises';
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
import { checkAnswers, loadRequest, type LoadRequest } from '../lib/correctness.js';
import { pinProcess } from '../lib/cpu-affinity.js';
import { buildRuntimeAt, type RuntimeAtRef } from '../lib/runtime-at-ref.js';
import { currentLoad } from '../lib/machine.js';
import { loadBenchModel, REPO_ROOT, type BenchModel } from '../lib/models.js';
import { buildRuntime, ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import { median } from '../lib/percentile.js';
import { fmtInt, fmtMs, formatTable } from '../lib/table.js';
import { stackShare, topSelfTime, type CpuProfile } from '../observability/cpu-profile.js';
import { processCpuSeconds } from '../lib/process-cpu.js';
import { threadCpuSeconds, threadSplit, type ThreadCpu } from '../lib/thread-cpu.js';
import { measureCell, type LoadResult } from '../lib/wrk.js';
import { metricsText, sumSeries } from '../lib/metrics-text.js';
import type { RecordedAnswer } from './recorded-shadow.js';
import { formatMedian, signedPct, summariseMedian } from '../lib/median-interval.js';
import { roundRises } from './round-pairs.js';

interface ShadowCounters {
  /** The stable runtime's batches and the rows in them (modeldeploy_batch_size). */
  readonly batches: number;
  readonly batchRows: number;
  readonly mirrored: number;
  readonly dropped: number;
  readonly compared: number;
  readonly disagreed: number;
  /** Seconds the stable runtime spent in garbage collection, all kinds (nodejs_gc_duration_seconds). */
  readonly gcSeconds: number;
}

/** CPU time (user + system, all threads, from /proc) each process used in the measured run. */
interface CpuUse {
  /** The stable runtime's CPU per answered request, µs. */
  readonly stableUsPerRequest: number;
  /** The shadow runtime's CPU per copy it answered, µs (undefined with no copies). */
  readonly shadowUsPerCopy: number | undefined;
  /** The stable runtime's mean batch size in the measured run: fewer rows per run cost more. */
  readonly stableMeanBatch: number;
  /**
   * The stable runtime's CPU per answered request by thread, µs: the JavaScript main thread
   * (where copies are sent and compared), the kernel time of all threads (loopback TCP work
   * is charged to the thread that sends), and the other threads (session worker, onnxruntime).
   */
  readonly stableUsPerRequestBy: {
    readonly main: number;
    readonly system: number;
    readonly others: number;
  };
}

interface Row {
  /** The round (0-based) this cell was measured in. */
  readonly round: number;
  /** Whose runtime the stable one is: this checkout's, or --against's commit. */
  readonly runtime: string;
  readonly percent: number;
  readonly connections: number;
  readonly result: LoadResult;
  readonly shadow: ShadowCounters;
  readonly cpu: CpuUse;
}

const { values: args } = parseArgs({
  options: {
    ...LOAD_FLAGS,
    concurrency: { type: 'string', default: '64' },
    percents: { type: 'string', default: '0,10,100' },
    /** Rounds of cells, each loading every percent once in a rotated order. */
    rounds: { type: 'string', default: '5' },
    /**
     * BATCH_DISPATCH of the stable runtimes. With eager (the runtime's default) each process
     * at c=64 settles into a batch regime of its own (one ran 20 rows per session run all
     * along, its neighbour 26), which moves CPU per request and p99 more than mirroring
     * does; delay fills every batch, so the percents compare at the same batch size.
     */
    dispatch: { type: 'string', default: 'eager' },
    /** Rounds measured first and left out of the report (cold JIT). */
    'warmup-rounds': { type: 'string', default: '1' },
    /**
     * Also runs the stable runtime of this commit (built in a temporary worktree) at each
     * percent but 0, in the same rounds: a change to the mirror is ranked against its
     * predecessor on the same minutes of the machine.
     */
    against: { type: 'string' },
    /**
     * split: the stable runtime and wrk on CPU 0, the shadow on CPU 1, as on a cluster where
     * the shadow's pods have their own CPU; shared: all three on every core.
     */
    layout: { type: 'string', default: 'split' },
    /** Writes a V8 CPU profile of each stable runtime here and prints its top frames. */
    'cpu-prof': { type: 'string' },
    /**
     * runtime: the shadow is our runtime serving the same model. recorded: a server that
     * answers every copy with the runtime's recorded answer (recorded-shadow.ts), so the
     * stable pod does all of its mirroring work while the other CPU stays nearly idle.
     */
    shadow: { type: 'string', default: 'runtime' },
    /** Rounds each set of stable runtimes serves before a fresh set starts (default: all). */
    'restart-every': { type: 'string' },
  },
});
const { seconds, warmupSeconds, concurrencies } = loadSettings({ ...args, models: 'tiny' });
const percents = args.percents.split(',').map(Number);
const rounds = Number(args.rounds);
if (args.dispatch !== 'eager' && args.dispatch !== 'delay')
  throw new Error(`--dispatch must be eager or delay, not ${args.dispatch}`);
const warmupRounds = Number(args['warmup-rounds']);
const restartEvery = Number(args['restart-every'] ?? rounds);
if (!(restartEvery >= 1)) throw new Error('--restart-every must be a number of rounds, 1 or more');
if (args['cpu-prof'] !== undefined && restartEvery < rounds)
  throw new Error('--cpu-prof profiles one set of processes: leave out --restart-every');
if (args.layout !== 'split' && args.layout !== 'shared') {
  throw new Error(`--layout must be split or shared, not ${args.layout}`);
}
/** CPUs of the stable runtime and wrk, and of the shadow, under --layout split. */
const SPLIT = { stable: '0', shadow: '1' } as const;
const split = args.layout === 'split';
if (args.shadow !== 'runtime' && args.shadow !== 'recorded') {
  throw new Error(`--shadow must be runtime or recorded, not ${args.shadow}`);
}
const log = benchLog('shadow');
/**
 * Every runtime runs the session on its JavaScript thread, where SESSION_THREAD=auto puts
 * the tiny model on a quiet machine. auto times a batch at start-up, so a runtime started
 * while the neighbours are busy can land on the worker instead, and then spends about half
 * again the CPU per request (thread hops, structured clones, GC): one such process among the
 * cells made a run compare placements instead of mirroring.
 */
const SESSION_THREAD = 'main';
/** The runtime label of this checkout's stable runtimes. */
const CURRENT = 'current';

async function shadowCounters(port: number): Promise<ShadowCounters> {
  const text = await metricsText(port);
  const counter = (name: string): number => sumSeries(text, name);
  return {
    batches: counter('modeldeploy_batch_size_count'),
    batchRows: counter('modeldeploy_batch_size_sum'),
    mirrored: counter('modeldeploy_shadow_mirrored_total'),
    dropped: counter('modeldeploy_shadow_dropped_total'),
    compared: counter('modeldeploy_shadow_compared_total'),
    disagreed: counter('modeldeploy_shadow_disagreed_total'),
    gcSeconds: counter('nodejs_gc_duration_seconds_sum'),
  };
}

/**
 * The profile's top frames, and the main thread's time in the mirror's own code (the
 * runtime's shadow/ folder and the natives it calls, such as the copy's write) per copy the
 * process compared over its life (the profile covers all of it, warm-up included).
 */
async function printProfile(
  dir: string,
  runtime: string,
  percent: number,
  copies: number,
): Promise<void> {
  const path = join(dir, `stable-${percent}-${runtime}.cpuprofile`);
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const share = stackShare(profile, (url) => url.includes('/runtime/dist/shadow/'));
  const perCopy =
    copies > 0 ? `, ${((share.matchedMs * 1000) / copies).toFixed(1)} µs per copy` : '';
  process.stdout.write(
    `stable ${runtime}, shadow ${percent} % (${path}):\n${topSelfTime(profile, 25).join('\n')}\n` +
      `shadow code on the main thread: ${share.matchedMs.toFixed(0)} of ${share.busyMs.toFixed(0)} ms busy (${((share.matchedMs / share.busyMs) * 100).toFixed(1)} %), ${copies} copies compared${perCopy}\n`,
  );
}

async function cpuUse(
  stable: ServerProcess,
  shadow: ServerProcess,
  before: Before,
  result: LoadResult,
  after: ShadowCounters,
): Promise<CpuUse> {
  const threads = threadSplit(stable.pid, before.threads, await threadCpuSeconds(stable.pid));
  const stableCpu = (await processCpuSeconds(stable.pid)) - before.stable;
  const perRequest = (seconds: number): number => (seconds * 1e6) / result.requests;
  const shadowCpu = (await processCpuSeconds(shadow.pid)) - before.shadow;
  const copies = after.compared - before.counters.compared;
  return {
    stableUsPerRequest: (stableCpu * 1e6) / result.requests,
    shadowUsPerCopy: copies > 0 ? (shadowCpu * 1e6) / copies : undefined,
    stableMeanBatch:
      (after.batchRows - before.counters.batchRows) / (after.batches - before.counters.batches),
    stableUsPerRequestBy: {
      main: perRequest(threads.mainSeconds),
      system: perRequest(threads.systemSeconds),
      others: perRequest(threads.others.reduce((a, b) => a + b, 0)),
    },
  };
}

interface Before {
  readonly stable: number;
  readonly shadow: number;
  readonly threads: ReadonlyMap<number, ThreadCpu>;
  readonly counters: ShadowCounters;
}

/** A stable runtime mirroring `percent` % of its answers, kept up for every round. */
interface Stable {
  readonly runtime: string;
  readonly percent: number;
  readonly port: number;
  readonly server: ServerProcess;
}

async function startStable(
  percent: number,
  shadowPort: number,
  logDir: string,
  model: Awaited<ReturnType<typeof loadBenchModel>>,
  against?: RuntimeAtRef,
): Promise<Stable> {
  const runtime = against === undefined ? CURRENT : against.commit.slice(0, 7);
  const port = await freePort();
  const env: Record<string, string> = {
    BATCH_DISPATCH: args.dispatch,
    SESSION_THREAD: SESSION_THREAD,
    ...(percent > 0
      ? { SHADOW_TARGET_URL: `http://127.0.0.1:${shadowPort}`, SHADOW_PERCENT: String(percent) }
      : {}),
  };
  const spec = ourRuntimeSpec({
    model,
    port,
    batching: true,
    logFile: join(logDir, `stable-${percent}-${runtime}.log`),
    env,
    ...(against !== undefined ? { root: against.root } : {}),
    ...(args['cpu-prof'] !== undefined
      ? {
          nodeArgs: [
            '--cpu-prof',
            `--cpu-prof-dir=${args['cpu-prof']}`,
            `--cpu-prof-name=stable-${percent}-${runtime}.cpuprofile`,
          ],
        }
      : {}),
  });
  log(`starting stable (${runtime}), shadow ${percent} %`);
  const server = await ServerProcess.start(spec);
  if (split) await pinProcess(server.pid, SPLIT.stable);
  await checkAnswers(ourInferUrl(model, port), 'v2', model);
  return { runtime, percent, port, server };
}

/** One measured cell: wrk against one stable runtime, with its CPU and shadow counters. */
async function measure(
  stable: Stable,
  shadow: ServerProcess,
  connections: number,
  request: ReturnType<typeof loadRequest>,
  url: string,
  round: number,
): Promise<Row> {
  let before: Before | undefined;
  const result = await measureCell({
    beforeMeasure: async () => {
      before = {
        stable: await processCpuSeconds(stable.server.pid),
        shadow: await processCpuSeconds(shadow.pid),
        threads: await threadCpuSeconds(stable.server.pid),
        counters: await shadowCounters(stable.port),
      };
    },
    url,
    body: request.body,
    contentType: request.contentType,
    headers: request.headers,
    connections,
    seconds,
    warmupSeconds,
    ...(split ? { cpus: SPLIT.stable } : {}),
  });
  const counters = await shadowCounters(stable.port);
  if (before === undefined) throw new Error('the measured run never started');
  const cpu = await cpuUse(stable.server, shadow, before, result, counters);
  const { percent, runtime } = stable;
  log(
    `  ${runtime} ${percent} % c=${connections}: ${fmtInt(result.rps)} req/s, p99 ${fmtMs(result.p99Ms)} ms, mirrored ${counters.mirrored - before.counters.mirrored}, dropped ${counters.dropped - before.counters.dropped}, disagreed ${counters.disagreed - before.counters.disagreed}`,
  );
  log(
    `    stable ${cpu.stableUsPerRequest.toFixed(0)} µs CPU per request (main thread ${cpu.stableUsPerRequestBy.main.toFixed(0)}, kernel ${cpu.stableUsPerRequestBy.system.toFixed(0)}, other threads ${cpu.stableUsPerRequestBy.others.toFixed(0)}), shadow ${cpu.shadowUsPerCopy?.toFixed(0) ?? '-'} µs per copy`,
  );
  const shadowCounts = difference(counters, before.counters);
  return { round, runtime, percent, connections, result, shadow: shadowCounts, cpu };
}

function difference(after: ShadowCounters, before: ShadowCounters): ShadowCounters {
  return {
    batches: after.batches - before.batches,
    batchRows: after.batchRows - before.batchRows,
    mirrored: after.mirrored - before.mirrored,
    dropped: after.dropped - before.dropped,
    compared: after.compared - before.compared,
    disagreed: after.disagreed - before.disagreed,
    gcSeconds: after.gcSeconds - before.gcSeconds,
  };
}

async function main(): Promise<void> {
  const start = await startRun('shadow', log);
  if (!args['no-build']) {
    log('building runtime/dist');
    await buildRuntime();
  }
  let against: RuntimeAtRef | undefined;
  if (args.against !== undefined) {
    log(`building the runtime of ${args.against} in a temporary worktree`);
    against = await buildRuntimeAt(args.against);
  }
  const model = await loadBenchModel('tiny');
  const request = loadRequest('v2', model, 1);
  const shadowPort = await freePort();
  const shadow = await startShadow(model, shadowPort, start.logDir, request);
  if (split) await pinProcess(shadow.pid, SPLIT.shadow);
  const rows: Row[] = [];
  /** Copies each stable runtime compared over its life. */
  const comparedOverLife = new Map<Stable, number>();
  try {
    // Each set of stable runtimes serves --restart-every rounds: a process settles into a
    // state of its own (one ran its GC helper threads at 26-31 µs per request all along,
    // its neighbour at 4-5), so with one set per percent a run compares two processes as
    // much as two percents. Fresh sets make that one more thing that varies from round to
    // round, which the medians over rounds take out.
    for (let first = 0; first < rounds; first += restartEvery) {
      const last = Math.min(rounds, first + restartEvery);
      const stables = await startStables(shadowPort, start.logDir, model, against);
      try {
        await measureRounds(stables, { first, last, shadow, request, model, rows });
      } finally {
        for (const stable of stables)
          comparedOverLife.set(stable, (await shadowCounters(stable.port)).compared);
        for (const stable of stables) await stable.server.stop();
      }
    }
  } finally {
    await shadow.stop();
    await against?.remove();
  }
  if (args['cpu-prof'] !== undefined)
    for (const [stable, copies] of comparedOverLife)
      await printProfile(args['cpu-prof'], stable.runtime, stable.percent, copies);
  report(
    rows,
    start,
    await writeResults('shadow', start, args.out, {
      machine: start.machine,
      wrk: start.wrk,
      layout: args.layout,
      rounds,
      warmupRounds,
      dispatch: args.dispatch,
      shadow: args.shadow,
      restartEvery,
      against: against?.commit,
      rows,
    }),
  );
}

/** A stable runtime per percent (and per percent but 0 of --against's commit). */
async function startStables(
  shadowPort: number,
  logDir: string,
  model: BenchModel,
  against: RuntimeAtRef | undefined,
): Promise<Stable[]> {
  const stables: Stable[] = [];
  for (const percent of percents)
    stables.push(await startStable(percent, shadowPort, logDir, model));
  if (against !== undefined)
    for (const percent of percents.filter((p) => p > 0))
      stables.push(await startStable(percent, shadowPort, logDir, model, against));
  return stables;
}

/**
 * Rounds `first` to `last` (exclusive) on one set of stable runtimes, after --warmup-rounds
 * measured and left out: in them every runtime's JIT is still cold (its main thread used
 * 1.3-1.9 times the CPU per request of later rounds). Each round loads every stable runtime
 * once, in a rotated order, so all of them see the machine of the same minutes.
 */
async function measureRounds(
  stables: readonly Stable[],
  run: {
    readonly first: number;
    readonly last: number;
    readonly shadow: ServerProcess;
    readonly request: LoadRequest;
    readonly model: BenchModel;
    readonly rows: Row[];
  },
): Promise<void> {
  for (let round = run.first - warmupRounds; round < run.last; round++) {
    for (let i = 0; i < stables.length; i++) {
      const stable = stables[(round + warmupRounds + i) % stables.length];
      if (stable === undefined) continue;
      for (const connections of concurrencies) {
        const url = ourInferUrl(run.model, stable.port);
        const row = await measure(stable, run.shadow, connections, run.request, url, round);
        if (round >= run.first) run.rows.push(row);
      }
    }
    const which = round < run.first ? 'warm-up round' : `round ${round + 1} of ${rounds}`;
    log(`${which} done, load ${currentLoad()[0]?.toFixed(1)}`);
  }
}

/** The shadow runtime, or (--shadow recorded) a server answering with its recorded answer. */
async function startShadow(
  model: BenchModel,
  port: number,
  logDir: string,
  request: LoadRequest,
): Promise<ServerProcess> {
  const runtime = await ServerProcess.start({
    ...ourRuntimeSpec({
      model,
      port,
      batching: true,
      logFile: join(logDir, 'shadow.log'),
      env: { MODEL_TRACK: 'shadow', SESSION_THREAD },
    }),
    label: 'shadow',
  });
  if (args.shadow === 'runtime') return runtime;
  const answer = await recordAnswer(ourInferUrl(model, port), request);
  await runtime.stop();
  const file = join(logDir, 'recorded-answer.json');
  await writeFile(file, JSON.stringify(answer));
  log(`shadow: recorded-shadow.ts answering with the runtime's ${answer.status} answer`);
  return ServerProcess.start({
    label: 'recorded shadow',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'shadow', 'recorded-shadow.ts'),
      '--port',
      String(port),
      '--answer',
      file,
    ],
    readyUrl: `http://127.0.0.1:${port}/v2/health/ready`,
    logFile: join(logDir, 'shadow.log'),
  });
}

/** The runtime's answer to the bench's request, with the headers a copy's answer is read by. */
async function recordAnswer(url: string, request: LoadRequest): Promise<RecordedAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...request.headers, 'content-type': request.contentType },
    body: request.body,
  });
  const headers: Record<string, string> = {};
  for (const name of ['content-type', 'inference-header-content-length']) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const body = Buffer.from(await response.arrayBuffer()).toString('base64');
  return { status: response.status, headers, body };
}

/** The cells of one percent and concurrency, over all rounds. */
function cellsOf(
  rows: readonly Row[],
  runtime: string,
  percent: number,
  connections: number,
): Row[] {
  return rows.filter(
    (r) => r.runtime === runtime && r.percent === percent && r.connections === connections,
  );
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** One table line: the medians of a runtime's cells at a percent and concurrency. */
function line(
  rows: readonly Row[],
  runtime: string,
  percent: number,
  connections: number,
): string[] {
  const cells = cellsOf(rows, runtime, percent, connections);
  const rises = roundRises(rows, 'p99', runtime, percent, connections);
  const m = (f: (r: Row) => number): number => median(cells.map(f));
  return [
    runtime,
    percent === 0 ? 'none' : `${percent} %`,
    String(connections),
    fmtInt(m((r) => r.result.rps)),
    fmtMs(m((r) => r.result.p50Ms)),
    fmtMs(m((r) => r.result.p99Ms)),
    percent === 0 ? '-' : signedPct(median(rises)),
    String(sum(cells.map((r) => r.result.errors))),
    fmtInt(sum(cells.map((r) => r.shadow.mirrored))),
    fmtInt(sum(cells.map((r) => r.shadow.dropped))),
    fmtInt(sum(cells.map((r) => r.shadow.compared))),
    fmtInt(sum(cells.map((r) => r.shadow.disagreed))),
    m((r) => r.cpu.stableMeanBatch).toFixed(1),
    m((r) => r.cpu.stableUsPerRequest).toFixed(0),
    m((r) => r.cpu.stableUsPerRequestBy.main).toFixed(0),
    m((r) => (r.shadow.gcSeconds * 1e6) / r.result.requests).toFixed(1),
    percent === 0 ? '-' : m((r) => r.cpu.shadowUsPerCopy ?? NaN).toFixed(0),
  ];
}

function report(
  rows: readonly Row[],
  start: Awaited<ReturnType<typeof startRun>>,
  path: string,
): void {
  const runtimes = [...new Set(rows.map((r) => r.runtime))];
  const lines = runtimes.flatMap((runtime) =>
    percents.flatMap((percent) => {
      const shown = percent > 0 || runtime === CURRENT;
      return shown ? concurrencies.map((c) => line(rows, runtime, percent, c)) : [];
    }),
  );
  const table = formatTable(
    [
      'runtime',
      'shadow',
      'conns',
      'req/s',
      'p50 ms',
      'p99 ms',
      'p99 rise',
      'errors',
      'mirrored',
      'dropped',
      'compared',
      'disagreed',
      'stable batch',
      'stable CPU µs/req',
      'of it main thread',
      'of it GC',
      'shadow CPU µs/copy',
    ],
    lines,
  );
  process.stdout.write(
    `medians over ${rounds} rounds; p99 rise is the median of each round's ratio to the same round's p99 without a shadow\n${table}\n\n`,
  );
  const top = Math.max(...concurrencies);
  const rises = roundRises(rows, 'p99', CURRENT, 10, top);
  if (rises.length > 0) {
    const rise = summariseMedian(rises);
    for (const measure of ['p50', 'cpu', 'rps'] as const)
      process.stdout.write(
        `${measure} rise at 10 %, c=${top}: ${formatMedian(summariseMedian(roundRises(rows, measure, CURRENT, 10, top)))}\n`,
      );
    // Met only when the interval's upper end is under the target: one run's median p99
    // rise has moved between −20 % and +22 % on this machine for the same code.
    const high = rise.interval?.high ?? Infinity;
    const goal: Goal = {
      goal: `p99 rise at 10 % shadow, c=${top}, upper end of the median's 95 % interval; median ${formatMedian(rise)}`,
      value: high,
      target: 0.1,
      met: high < 0.1,
    };
    process.stdout.write(`${goalLine(goal, (n) => `${(n * 100).toFixed(1)} %`, '< ')}\n`);
  }
  process.stdout.write(`${loadLine(start.machine.loadAtStart, currentLoad())}\nresults: ${path}\n`);
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
