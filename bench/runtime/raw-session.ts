/**
 * The ceiling: onnxruntime-node's session.run in a loop, no HTTP and no batcher, through the
 * runtime's own thin session wrapper (runtime/src/model/session.ts) with the session options
 * the runtime's configuration gives by default (or from the same environment variables, e.g.
 * ORT_THREAD_SPINNING, INTRA_OP_THREADS). Run as its own process by bench/runtime/run.ts:
 *
 *   node --import tsx bench/runtime/raw-session.ts --model tiny --rows 32 --seconds 10
 *
 * Prints one line "RAW_JSON {...}": rows per second and per-run latency percentiles.
 */
import { parseArgs } from 'node:util';
import { parseConfig } from '../../runtime/src/config/index.js';
import { createInferenceModel } from '../../runtime/src/model/session.js';
import { goldenRows, loadBenchModel, type ModelKey } from '../lib/models.js';
import { percentile } from '../lib/percentile.js';

export interface RawResult {
  readonly rows: number;
  readonly runs: number;
  readonly seconds: number;
  /** Rows (= requests of one row) per second. */
  readonly rps: number;
  /** Latency of one session.run (one batch of `rows`). */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'tiny' },
      rows: { type: 'string', default: '1' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '1' },
    },
  });
  const model = await loadBenchModel(values.model as ModelKey);
  const rows = Number(values.rows);
  const config = parseConfig({ ...process.env, MODEL_URI: model.path });
  const session = await createInferenceModel(model.path, {
    session: config.session,
    ortTelemetry: false,
    ortLogSeverity: 4,
  });
  // Rows of the golden input, repeated: the same numbers the HTTP benchmarks send.
  const row = goldenRows(model, 1);
  const data = new Float32Array(rows * model.width);
  for (let r = 0; r < rows; r++) data.set(row, r * model.width);
  const dims = [rows, model.width];

  const runFor = async (seconds: number): Promise<number[]> => {
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    for (let now = performance.now(); now < end;) {
      await session.run({ [model.inputName]: { data, dims } });
      const after = performance.now();
      latencies.push(after - now);
      now = after;
    }
    return latencies;
  };
  await runFor(Number(values.warmup));
  const started = performance.now();
  const latencies = await runFor(Number(values.seconds));
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  latencies.sort((a, b) => a - b);
  const result: RawResult = {
    rows,
    runs: latencies.length,
    seconds,
    rps: (latencies.length * rows) / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
  process.stdout.write(`RAW_JSON ${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`raw-session: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
