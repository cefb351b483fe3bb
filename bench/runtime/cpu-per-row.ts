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
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../runtime/src/config/index.js';
import { createInferenceModel } from '../../runtime/src/model/session.js';
import { goldenRows, loadBenchModel, REPO_ROOT, type BenchModel } from '../lib/models.js';
import { runLoadClient } from '../lib/load-client-process.js';
import { buildRuntime, OUR_MAX_BATCH, ourRuntimeSpec } from '../lib/our-runtime.js';
import { freePort, ServerProcess } from '../lib/server-process.js';

type Protocol = 'json' | 'binary' | 'grpc';

interface Cell {
  readonly model: string;
  readonly protocol: Protocol;
  readonly rowsPerSecond: number;
  readonly serverCpuUsPerRow: number;
  readonly rawCpuUsPerRow: number;
  readonly efficiency: number;
  readonly failed: number;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** utime + stime of a process (all its threads), in seconds. */
async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
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

/** The raw loop: full batches of OUR_MAX_BATCH rows, CPU of this whole process per row. */
async function rawCpuPerRow(model: BenchModel, seconds: number): Promise<number> {
  const config = parseConfig({ ...process.env, MODEL_URI: model.path });
  const session = await createInferenceModel(model.path, {
    session: config.session,
    ortTelemetry: false,
    ortLogSeverity: 4,
  });
  const rows = OUR_MAX_BATCH;
  const data = new Float32Array(rows * model.width);
  const row = goldenRows(model, 1);
  for (let r = 0; r < rows; r++) data.set(row, r * model.width);
  const feeds = { [model.inputName]: { data, dims: [rows, model.width] } };
  for (let i = 0; i < 3; i++) await session.run(feeds);
  const before = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let runs = 0;
  while (performance.now() < end) {
    await session.run(feeds);
    runs++;
  }
  const used = process.cpuUsage(before);
  await session.release();
  return (used.user + used.system) / (runs * rows);
}

/** Runs load-client.ts; reads the server's CPU when the load starts and when it ends. */
async function drive(
  server: ServerProcess,
  args: readonly string[],
): Promise<{ answered: number; failed: number; seconds: number; cpuSeconds: number }> {
  let cpuAtStart: Promise<number> | undefined;
  const count = await runLoadClient(args, () => {
    cpuAtStart = processCpuSeconds(server.pid);
  });
  const [startCpu, endCpu] = await Promise.all([cpuAtStart, processCpuSeconds(server.pid)]);
  if (startCpu === undefined) throw new Error('load-client never started its measured interval');
  return { ...count, cpuSeconds: endCpu - startCpu };
}

async function measureModel(
  key: string,
  protocols: readonly Protocol[],
  seconds: number,
  connections: number,
): Promise<Cell[]> {
  const model = await benchModel(key);
  const rawCpuUsPerRow = await rawCpuPerRow(model, seconds);
  const port = await freePort();
  const grpcPort = await freePort();
  const server = await ServerProcess.start(
    ourRuntimeSpec({
      model,
      port,
      batching: true,
      logFile: join(tmpdir(), `cpu-per-row-${key}.log`),
      env: { GRPC_ENABLED: 'true', GRPC_PORT: String(grpcPort), MODEL_NAME: model.name },
    }),
  );
  const cells: Cell[] = [];
  try {
    for (const protocol of protocols) {
      const target = `127.0.0.1:${protocol === 'grpc' ? grpcPort : port}`;
      const result = await drive(server, [
        ...['--protocol', protocol, '--target', target, '--model', model.key],
        ...['--name', model.name, '--tolerance', String(model.tolerance)],
        ...['--connections', String(connections), '--seconds', String(seconds)],
      ]);
      const serverCpuUsPerRow = (result.cpuSeconds * 1e6) / result.answered;
      cells.push({
        model: key,
        protocol,
        rowsPerSecond: result.answered / result.seconds,
        serverCpuUsPerRow,
        rawCpuUsPerRow,
        efficiency: rawCpuUsPerRow / serverCpuUsPerRow,
        failed: result.failed,
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
      'skip-build': { type: 'boolean', default: false },
    },
  });
  if (!values['skip-build']) await buildRuntime();
  const protocols = values.protocols.split(',') as Protocol[];
  const cells: Cell[] = [];
  for (const key of values.models.split(','))
    cells.push(
      ...(await measureModel(key, protocols, Number(values.seconds), Number(values.connections))),
    );
  const lines = cells.map(
    (c) =>
      `${c.model.padEnd(11)} ${c.protocol.padEnd(7)} ${c.rowsPerSecond.toFixed(0).padStart(8)} rows/s  ` +
      `server ${c.serverCpuUsPerRow.toFixed(1).padStart(7)} µs CPU/row  raw ${c.rawCpuUsPerRow.toFixed(1).padStart(7)}  ` +
      `efficiency ${(c.efficiency * 100).toFixed(0).padStart(3)} %${c.failed > 0 ? `  (${c.failed} failed)` : ''}`,
  );
  process.stdout.write(`${lines.join('\n')}\nCPU_JSON ${JSON.stringify(cells)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`cpu-per-row: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
