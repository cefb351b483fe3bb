/**
 * CPU efficiency independent of the load generator: CPU time of the server process per
 * answered row (utime + stime of every thread, from /proc/PID/stat, over the loaded interval)
 * against the CPU time per row of onnxruntime's raw batched loop (no HTTP, no batcher) with
 * the same session threads, for each model and protocol (V2 JSON, V2 binary, V2 gRPC).
 * efficiency = raw CPU per row / server CPU per row. The generator (load-client.ts) is its
 * own process, so its CPU is not counted, though on a small machine it still competes for
 * the cores and changes how full the batches get.
 *
 *   npm run build -w runtime
 *   node --import tsx bench/runtime/cpu-per-row.ts --models tiny,heavy,heavy-int8 \
 *     --protocols json,binary,grpc --connections 64 --seconds 10
 *
 * Prints a table and one line "CPU_JSON {...}". Figures mean something only on a quiet
 * machine (see docs/benchmarks.md).
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../runtime/src/config/index.js';
import { createInferenceModel, type InferenceModel } from '../../runtime/src/model/session.js';
import type { TensorMap } from '../../runtime/src/tensor/host-tensor.js';
import { processCpuSeconds } from '../lib/process-cpu.js';
import {
  threadCpuSeconds,
  threadSplit,
  type ThreadCpu,
  type ThreadSplit,
} from '../lib/thread-cpu.js';
import { goldenRows, loadBenchModel, REPO_ROOT, type BenchModel } from '../lib/models.js';
import { runLoadClient } from '../lib/load-client-process.js';
import { buildRuntime, OUR_MAX_BATCH, ourRuntimeSpec } from '../lib/our-runtime.js';
import { freePort, ServerProcess } from '../lib/server-process.js';

type Protocol = 'json' | 'binary' | 'grpc';
/**
 * This checkout's runtime/dist, an earlier build given with --baseline-root, or (--floor)
 * floor-server.ts: node:http and grpc-js answering a precomputed answer, no model.
 */
type Build = 'current' | 'baseline' | 'floor';

interface Cell {
  readonly model: string;
  readonly build: Build;
  readonly protocol: Protocol;
  readonly rowsPerRequest: number;
  readonly rowsPerSecond: number;
  readonly serverCpuUsPerRow: number;
  /** The raw loop at full batches (OUR_MAX_BATCH rows). */
  readonly rawCpuUsPerRow: number;
  /** Raw CPU per row / server CPU per row; for the floor, raw / (raw + floor): its ceiling. */
  readonly efficiency: number;
  /** Rows per session run the server actually formed (its modeldeploy_batch_size). */
  readonly meanBatch: number;
  /** The raw loop at the server's mean batch size (rounded): the same work per run. */
  readonly rawCpuUsPerRowAtMeanBatch: number;
  readonly efficiencyAtMeanBatch: number;
  /** Server CPU per row on its JavaScript main thread, and on its other busy threads. */
  readonly mainThreadUsPerRow: number;
  readonly otherThreadsUsPerRow: readonly number[];
  /** Server CPU per row spent in the kernel (system time of all threads). */
  readonly systemUsPerRow: number;
  /** The server's own CPU while idle (no request), in % of one core, before the load. */
  readonly idleCpuPercent: number;
  readonly failed: number;
}

/** A bench model; heavy-int8 is mlp-heavy's INT8 file, served under the same name. */
async function benchModel(key: string): Promise<BenchModel> {
  if (key !== 'heavy-int8') return loadBenchModel(key === 'tiny' ? 'tiny' : 'heavy');
  const heavy = await loadBenchModel('heavy');
  const path = join(REPO_ROOT, 'examples', 'models', 'mlp-heavy-int8.onnx');
  const golden = JSON.parse(await readFile(path.replace(/\.onnx$/, '.golden.json'), 'utf8')) as {
    tolerance: number;
  }[];
  return { ...heavy, path, tolerance: golden[0]?.tolerance ?? heavy.tolerance };
}

/** The raw loop's session: the server's session settings (same threads, no spinning). */
async function rawSession(model: BenchModel): Promise<InferenceModel> {
  const config = parseConfig({ ...process.env, MODEL_URI: model.path });
  return createInferenceModel(model.path, {
    session: config.session,
    ortTelemetry: false,
    ortLogSeverity: 4,
  });
}

/** The raw loop: batches of `rows` rows back to back, CPU of this whole process per row. */
async function rawCpuPerRow(
  session: InferenceModel,
  model: BenchModel,
  rows: number,
  seconds: number,
): Promise<number> {
  const row = goldenRows(model, 1);
  const feedsOf = (): TensorMap => {
    // run() may take ownership of the data, so every run gets its own array.
    const data = new Float32Array(rows * model.width);
    for (let r = 0; r < rows; r++) data.set(row, r * model.width);
    return { [model.inputName]: { data, dims: [rows, model.width] } };
  };
  for (let i = 0; i < 3; i++) await session.run(feedsOf());
  const before = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let runs = 0;
  while (performance.now() < end) {
    await session.run(feedsOf());
    runs++;
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (runs * rows);
}

/** Rows and runs the server has counted in modeldeploy_batch_size so far. */
async function batchTotals(port: number): Promise<{ rows: number; runs: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (suffix: string): number =>
    Number(
      new RegExp(`^modeldeploy_batch_size_${suffix}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0,
    );
  return { rows: value('sum'), runs: value('count') };
}

/** The server's CPU over a few idle seconds, in % of one core. */
async function idleCpuPercent(pid: number): Promise<number> {
  const seconds = 3;
  const before = await processCpuSeconds(pid);
  await sleep(seconds * 1000);
  return ((await processCpuSeconds(pid)) - before) * (100 / seconds);
}

interface Driven {
  readonly answered: number;
  readonly failed: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly threads: ThreadSplit;
  readonly batchRows: number;
  readonly batchRuns: number;
}

interface AtLoadStart {
  readonly cpu: number;
  readonly threads: Map<number, ThreadCpu>;
  readonly batches: { rows: number; runs: number };
}

/**
 * Runs load-client.ts; reads the server's CPU (in total and by thread) and its batch
 * counts when the load starts and when it ends.
 */
async function drive(
  server: ServerProcess,
  port: number,
  args: readonly string[],
): Promise<Driven> {
  let atStart: Promise<AtLoadStart> | undefined;
  const count = await runLoadClient(args, () => {
    atStart = Promise.all([
      processCpuSeconds(server.pid),
      threadCpuSeconds(server.pid),
      batchTotals(port),
    ]).then(([cpu, threads, batches]) => ({ cpu, threads, batches }));
  });
  const [endCpu, endThreads, endBatches] = await Promise.all([
    processCpuSeconds(server.pid),
    threadCpuSeconds(server.pid),
    batchTotals(port),
  ]);
  const start = await atStart;
  if (start === undefined) throw new Error('load-client never started its measured interval');
  return {
    ...count,
    cpuSeconds: endCpu - start.cpu,
    threads: threadSplit(server.pid, start.threads, endThreads),
    batchRows: endBatches.rows - start.batches.rows,
    batchRuns: endBatches.runs - start.batches.runs,
  };
}

interface Options {
  readonly protocols: readonly Protocol[];
  readonly seconds: number;
  readonly connections: number;
  /** Rows in each request (the golden rows, repeated). */
  readonly rows: number;
  readonly rawSeconds: number;
  readonly nodeArgs: readonly string[];
  /** A directory holding an earlier build (runtime/dist) to measure beside this one. */
  readonly baselineRoot: string | undefined;
  /** Cells per protocol and build; with a baseline, the builds alternate. */
  readonly rounds: number;
  /** Also measure floor-server.ts under the same load, once per protocol. */
  readonly floor: boolean;
}

interface RunningServer {
  readonly build: Build;
  readonly server: ServerProcess;
  readonly port: number;
  readonly grpcPort: number;
  readonly idleCpuPercent: number;
}

async function startServer(
  model: BenchModel,
  build: Build,
  options: Options,
): Promise<RunningServer> {
  const port = await freePort();
  const grpcPort = await freePort();
  const server = await ServerProcess.start(
    ourRuntimeSpec({
      model,
      port,
      batching: true,
      logFile: join(tmpdir(), `cpu-per-row-${model.key}-${build}.log`),
      nodeArgs: options.nodeArgs,
      env: { GRPC_ENABLED: 'true', GRPC_PORT: String(grpcPort), MODEL_NAME: model.name },
      ...(build === 'baseline' && options.baselineRoot !== undefined
        ? { root: options.baselineRoot }
        : {}),
    }),
  );
  return { build, server, port, grpcPort, idleCpuPercent: await idleCpuPercent(server.pid) };
}

/** load-client.ts's arguments for one cell. */
function loadArgs(
  model: BenchModel,
  protocol: Protocol,
  target: string,
  options: Options,
): string[] {
  return [
    ...['--protocol', protocol, '--target', target, '--model', model.key],
    ...['--name', model.name, '--tolerance', String(model.tolerance)],
    ...['--rows', String(options.rows)],
    ...['--connections', String(options.connections), '--seconds', String(options.seconds)],
  ];
}

type RowFigures = Pick<
  Cell,
  | 'rowsPerRequest'
  | 'rowsPerSecond'
  | 'serverCpuUsPerRow'
  | 'mainThreadUsPerRow'
  | 'otherThreadsUsPerRow'
  | 'systemUsPerRow'
  | 'failed'
>;

/** What every cell reports of a driven interval, per answered row. */
function rowFigures(result: Driven, rows: number): RowFigures {
  const rowsAnswered = result.answered * rows;
  const perRow = (cpuSeconds: number): number => (cpuSeconds * 1e6) / rowsAnswered;
  return {
    rowsPerRequest: rows,
    rowsPerSecond: rowsAnswered / result.seconds,
    serverCpuUsPerRow: perRow(result.cpuSeconds),
    mainThreadUsPerRow: perRow(result.threads.mainSeconds),
    otherThreadsUsPerRow: result.threads.others.map(perRow),
    systemUsPerRow: perRow(result.threads.systemSeconds),
    failed: result.failed,
  };
}

async function measureModel(key: string, options: Options): Promise<Cell[]> {
  const model = await benchModel(key);
  const session = await rawSession(model);
  // Measured again right after each cell: on a shared machine the same work costs more CPU
  // time when neighbours are busy (caches, memory bandwidth), so a raw figure from minutes
  // earlier is not a fair denominator.
  const raw = (rows: number): Promise<number> =>
    rawCpuPerRow(session, model, rows, options.rawSeconds);
  const builds: Build[] =
    options.baselineRoot === undefined ? ['current'] : ['baseline', 'current'];
  const servers: RunningServer[] = [];
  const cells: Cell[] = [];
  try {
    for (const build of builds) servers.push(await startServer(model, build, options));
    for (const protocol of options.protocols) {
      for (let round = 0; round < options.rounds; round++) {
        for (const running of servers) {
          const target = `127.0.0.1:${protocol === 'grpc' ? running.grpcPort : running.port}`;
          const result = await drive(
            running.server,
            running.port,
            loadArgs(model, protocol, target, options),
          );
          const figures = rowFigures(result, options.rows);
          const { serverCpuUsPerRow } = figures;
          const meanBatch = result.batchRuns === 0 ? 0 : result.batchRows / result.batchRuns;
          const atMean = await raw(Math.max(1, Math.round(meanBatch)));
          const rawCpuUsPerRow = await raw(OUR_MAX_BATCH);
          cells.push({
            ...figures,
            model: key,
            build: running.build,
            protocol,
            rawCpuUsPerRow,
            efficiency: rawCpuUsPerRow / serverCpuUsPerRow,
            meanBatch,
            rawCpuUsPerRowAtMeanBatch: atMean,
            efficiencyAtMeanBatch: atMean / serverCpuUsPerRow,
            idleCpuPercent: running.idleCpuPercent,
          });
        }
      }
    }
    if (options.floor) cells.push(...(await measureFloor(model, key, options, raw)));
  } finally {
    for (const running of servers) await running.server.stop();
    await session.release();
  }
  return cells;
}

/**
 * The floor: the same load against floor-server.ts. Its CPU per row is what Node's HTTP or
 * HTTP/2 stack and the kernel cost with nothing else running in the server, and its
 * "efficiency" is the most a server on those stacks could reach here: the raw loop's CPU per
 * row against the raw loop's plus the floor's.
 */
async function measureFloor(
  model: BenchModel,
  key: string,
  options: Options,
  raw: (rows: number) => Promise<number>,
): Promise<Cell[]> {
  const port = await freePort();
  const grpcPort = await freePort();
  const server = await ServerProcess.start({
    label: 'floor',
    command: process.execPath,
    args: [
      ...['--import', 'tsx', join(REPO_ROOT, 'bench', 'runtime', 'floor-server.ts')],
      ...['--model', model.key, '--name', model.name],
      ...['--port', String(port), '--grpc-port', String(grpcPort)],
    ],
    cwd: REPO_ROOT,
    readyUrl: `http://127.0.0.1:${port}/v2/health/ready`,
    logFile: join(tmpdir(), `cpu-per-row-${model.key}-floor.log`),
  });
  const cells: Cell[] = [];
  try {
    const idle = await idleCpuPercent(server.pid);
    for (const protocol of options.protocols) {
      const target = `127.0.0.1:${protocol === 'grpc' ? grpcPort : port}`;
      const result = await drive(server, port, loadArgs(model, protocol, target, options));
      const figures = rowFigures(result, options.rows);
      const rawCpuUsPerRow = await raw(OUR_MAX_BATCH);
      const ceiling = rawCpuUsPerRow / (rawCpuUsPerRow + figures.serverCpuUsPerRow);
      cells.push({
        ...figures,
        model: key,
        build: 'floor',
        protocol,
        rawCpuUsPerRow,
        efficiency: ceiling,
        meanBatch: OUR_MAX_BATCH,
        rawCpuUsPerRowAtMeanBatch: rawCpuUsPerRow,
        efficiencyAtMeanBatch: ceiling,
        idleCpuPercent: idle,
      });
    }
  } finally {
    await server.stop();
  }
  return cells;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'tiny,heavy,heavy-int8' },
      protocols: { type: 'string', default: 'json,binary,grpc' },
      connections: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '10' },
      'raw-seconds': { type: 'string', default: '5' },
      rows: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '1' },
      /** A directory with an earlier build's runtime/dist (and proto/), measured alternately. */
      'baseline-root': { type: 'string' },
      /** Also write the cells, the command, the commit and the load averages to this file. */
      out: { type: 'string' },
      /** Write a V8 CPU profile of each server (its main thread) into this directory. */
      'cpu-prof-dir': { type: 'string' },
      'skip-build': { type: 'boolean', default: false },
      /**
       * Also run the same load against floor-server.ts (no framework, no model): the CPU
       * Node's stacks and the kernel take per request, and the efficiency ceiling it leaves.
       */
      floor: { type: 'boolean', default: false },
    },
  });
  if (!values['skip-build']) await buildRuntime();
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const protocols = values.protocols.split(',') as Protocol[];
  const profileDir = values['cpu-prof-dir'];
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const cells: Cell[] = [];
  for (const key of values.models.split(','))
    cells.push(
      ...(await measureModel(key, {
        protocols,
        seconds: Number(values.seconds),
        connections: Number(values.connections),
        rows: Number(values.rows),
        rawSeconds: Number(values['raw-seconds']),
        nodeArgs,
        baselineRoot: values['baseline-root'],
        rounds: Number(values.rounds),
        floor: values.floor,
      })),
    );
  const lines = cells.map(
    (c) =>
      `${c.model.padEnd(11)} ${c.build.padEnd(8)} ${c.protocol.padEnd(7)} ${c.rowsPerSecond.toFixed(0).padStart(8)} rows/s  ` +
      `server ${c.serverCpuUsPerRow.toFixed(1).padStart(7)} µs CPU/row  raw ${c.rawCpuUsPerRow.toFixed(1).padStart(7)}  ` +
      `efficiency ${(c.efficiency * 100).toFixed(0).padStart(3)} %  ` +
      `batch ${c.meanBatch.toFixed(1).padStart(4)}  raw@batch ${c.rawCpuUsPerRowAtMeanBatch.toFixed(1).padStart(7)}  ` +
      `efficiency@batch ${(c.efficiencyAtMeanBatch * 100).toFixed(0).padStart(3)} %  ` +
      `main ${c.mainThreadUsPerRow.toFixed(0)} others ${c.otherThreadsUsPerRow.map((t) => t.toFixed(0)).join('/')} kernel ${c.systemUsPerRow.toFixed(0)} µs/row  ` +
      `idle ${c.idleCpuPercent.toFixed(1)} %${c.failed > 0 ? `  (${c.failed} failed)` : ''}`,
  );
  process.stdout.write(`${lines.join('\n')}\nCPU_JSON ${JSON.stringify(cells)}\n`);
  if (values.out !== undefined) {
    const record = {
      command: `node --import tsx bench/runtime/cpu-per-row.ts ${process.argv.slice(2).join(' ')}`,
      environment: { INTRA_OP_THREADS: process.env['INTRA_OP_THREADS'] ?? '(default)' },
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT })
        .toString()
        .trim(),
      startedAt,
      loadAverage1mAtStart: loadAtStart,
      loadAverage1mAtEnd: loadavg()[0],
      cells,
    };
    await writeFile(values.out, `${JSON.stringify(record, null, 2)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cpu-per-row: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
