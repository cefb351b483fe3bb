import { createInferenceModel, type InferenceModel, type SessionSettings } from './session.js';
import { zeroInputs } from './warm-up.js';
import { createWorkerInferenceModel } from './worker-session.js';

/** Where the onnxruntime session runs: SESSION_THREAD, and what `auto` decided. */
export type SessionThread = 'worker' | 'main';
export type SessionThreadSetting = SessionThread | 'auto';

/**
 * `auto` keeps the session on the JavaScript thread when a full batch runs faster than this.
 * A run there blocks request parsing for its duration, while the worker costs a thread hop
 * each way on every batch (~30 µs each on the benchmark VM). For the tiny MLP (a 32-row batch
 * in 0.11 ms) the hop was the larger cost: at one connection the worker served 3,028 req/s
 * against 4,901 on the main thread. For the heavy MLP (4.3 ms) the worker served 19 % more at
 * 64 connections. 1 ms sits well between the two (docs/benchmarks.md).
 */
export const MAIN_THREAD_MAX_BATCH_MS = 1;

/** How `openPlacedModel` opens and, under `auto`, times the session. */
export interface PlacementOptions {
  readonly setting: SessionThreadSetting;
  /** Rows of the batch that `auto` times: the batcher's largest batch. */
  readonly maxBatchSize: number;
  readonly maxMainThreadBatchMs?: number;
  /**
   * Milliseconds from an arbitrary origin; performance.now by default. Tests inject a clock
   * so that which thread `auto` picks does not depend on how busy the machine is.
   */
  readonly now?: () => number;
}

export interface PlacedModel {
  readonly model: InferenceModel;
  readonly thread: SessionThread;
  /** The fastest timed run of a full batch, when `auto` measured them. */
  readonly fullBatchMs?: number;
}

/** The thread `auto` picks for a model whose full batch takes `fullBatchMs`. */
export function threadForBatchTime(
  fullBatchMs: number,
  maxMainThreadBatchMs: number = MAIN_THREAD_MAX_BATCH_MS,
): SessionThread {
  return fullBatchMs < maxMainThreadBatchMs ? 'main' : 'worker';
}

/**
 * Opens the session where SESSION_THREAD says. With `auto` it opens in the worker first (so
 * a large model, the likely worker case, loads once), times a full batch, and reopens on the
 * JavaScript thread only when that is cheap, which for such a model also means small.
 */
export async function openPlacedModel(
  path: string,
  settings: SessionSettings,
  options: PlacementOptions,
): Promise<PlacedModel> {
  const { setting, maxBatchSize, now = () => performance.now() } = options;
  const maxMainThreadBatchMs = options.maxMainThreadBatchMs ?? MAIN_THREAD_MAX_BATCH_MS;
  if (setting === 'main')
    return { model: await createInferenceModel(path, settings), thread: 'main' };
  const worker = await createWorkerInferenceModel(path, settings);
  if (setting === 'worker') return { model: worker, thread: 'worker' };
  let fullBatchMs: number;
  try {
    fullBatchMs = await timeFullBatch(worker, maxBatchSize, now);
  } catch (err) {
    await worker.release().catch(() => {});
    throw err;
  }
  if (threadForBatchTime(fullBatchMs, maxMainThreadBatchMs) === 'worker')
    return { model: worker, thread: 'worker', fullBatchMs };
  await worker.release();
  return { model: await createInferenceModel(path, settings), thread: 'main', fullBatchMs };
}

/** Timed runs of the largest batch under `auto`. */
const TIMED_BATCHES = 5;

/**
 * The fastest of five runs of the largest batch. On a busy node another process can hold the
 * CPU for milliseconds during a run, and such a run measures the node, not the model: with the
 * median of three, a pod that started while its node was busy put a 0.1 ms model on the
 * worker for its whole life (about 1.5 times the CPU per request). A run can be delayed but
 * never made faster than the model, so the fastest run is its cost. The first run pays for
 * onnxruntime's memory planning and is never the fastest, so no separate warm-up is needed
 * here (loadModel warms up whichever session is kept).
 */
async function timeFullBatch(
  model: InferenceModel,
  maxBatchSize: number,
  now: () => number,
): Promise<number> {
  const rows = model.signature.batchable ? Math.max(1, maxBatchSize) : 1;
  let fastest = Infinity;
  for (let i = 0; i < TIMED_BATCHES; i++) {
    // Fresh inputs each run: the worker takes ownership of the buffers it is sent.
    const input = zeroInputs(model.signature, rows);
    const started = now();
    await model.run(input);
    fastest = Math.min(fastest, now() - started);
  }
  return fastest;
}
