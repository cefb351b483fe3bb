import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { RunTimingListener } from '../observability/run-timing.js';
import type { TensorMap } from '../tensor/host-tensor.js';
import { signatureFrom } from './metadata.js';
import { applyTelemetryChoice } from './onnxruntime.js';
import type { InferenceModel, SessionSettings } from './session.js';
import {
  StopReason,
  type FromWorker,
  type RunRequest,
  type SessionOpened,
  type SessionWorkerData,
  type ToWorker,
} from './session-worker-messages.js';
import { copiedTensors, tensorsForTransfer } from './tensor-transfer.js';

export interface WorkerSessionOptions {
  /**
   * Called with the worker right after it is spawned. For tests and diagnostics: stopping
   * it from outside while it runs nothing is how a test makes it die the way an uncaught
   * exception would (stopped inside a native run, it aborts the process instead).
   */
  readonly onSpawn?: (worker: Worker) => void;
  /** How long release() waits for the worker to release its session before terminating it. */
  readonly releaseTimeoutMs?: number;
}

/** How often a stop re-reads whether the worker is still inside a run. */
const RUNNING_POLL_MS = 2;

interface OpenSettlers {
  readonly resolve: (opened: SessionOpened) => void;
  readonly reject: (error: Error) => void;
}

interface PendingRun {
  readonly resolve: (outputs: TensorMap) => void;
  readonly reject: (error: Error) => void;
  readonly timed: RunTimingListener | undefined;
}

/**
 * The model's session in a worker thread (session-worker.ts), behind the same
 * InferenceModel interface as the in-thread session. Inputs and outputs cross threads as
 * transferred ArrayBuffers (copied only when they are views on shared or larger buffers).
 * A failed run rejects only its own promise; if the worker dies, every pending and later
 * run rejects with the reason and the onFailure listeners hear it once.
 */
export async function createWorkerInferenceModel(
  path: string,
  settings: SessionSettings,
  options: WorkerSessionOptions = {},
): Promise<InferenceModel> {
  // The worker's own loadOnnxRuntime cannot set it: its process.env is a private copy.
  applyTelemetryChoice(settings.ortTelemetry);
  const connection = new SessionWorkerConnection(path, settings, options);
  const opened = await connection.opened;
  const signature = signatureFrom(opened.inputs, opened.outputs);
  return {
    signature,
    run: (feeds, outputNames, cancel, timed) => connection.run(feeds, outputNames, cancel, timed),
    release: () => connection.release(),
    onFailure: (listener) => connection.onFailure(listener),
    abandon: () => connection.abandon(),
  };
}

/** What `new Worker` gets: a file URL, or (from source) a bootstrap to evaluate. */
interface WorkerEntry {
  readonly entry: URL | string;
  readonly options: Pick<WorkerOptions, 'eval' | 'execArgv'>;
}

/**
 * The worker file next to this one, with the same extension: session-worker.js when the
 * runtime runs compiled (runtime/dist, the image), session-worker.ts when it runs from
 * source (vitest, tsx). A .ts worker needs tsx's loader inside the worker, and on Node 20
 * `execArgv: ['--import', 'tsx']` does not apply loader hooks to a worker's entry module
 * ("Unknown file extension .ts"), so a small bootstrap registers tsx in the worker and then
 * imports the file.
 */
function workerEntry(): WorkerEntry {
  const extension = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./session-worker${extension}`, import.meta.url);
  if (extension !== '.ts') return { entry: url, options: {} };
  const api = JSON.stringify(tsxEsmApi());
  const bootstrap = `import(${api}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  // The parent's execArgv may hold `--import tsx`, which resolves from the current directory.
  return { entry: bootstrap, options: { eval: true, execArgv: [] } };
}

/** tsx's ESM API, resolved from this file (its `import` export, which require.resolve skips). */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = manifest.exports['./esm/api'];
  const relative = typeof entry === 'object' ? entry.import?.default : undefined;
  if (relative === undefined) throw new Error(`tsx at ${manifestPath} has no ESM API export`);
  return pathToFileURL(join(dirname(manifestPath), relative)).href;
}

class SessionWorkerConnection {
  readonly opened: Promise<SessionOpened>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingRun>();
  private readonly failureListeners: ((reason: string) => void)[] = [];
  private nextId = 1;
  /** Set once the worker cannot run anything: why, for every later run. */
  private failure: string | undefined;
  private lastError: string | undefined;
  private releasing: Promise<void> | undefined;
  private readonly settleOpen: OpenSettlers;
  private readonly abandoned = new Int32Array(new SharedArrayBuffer(4));
  private readonly running = new Int32Array(new SharedArrayBuffer(4));
  /** Cancelled run ids by id % 64; at most a few runs are ever handed over at once. */
  private readonly cancelled = new Int32Array(new SharedArrayBuffer(64 * 4));
  private idleWaiters: (() => void)[] = [];

  constructor(
    path: string,
    settings: SessionSettings,
    private readonly options: WorkerSessionOptions,
  ) {
    let settle: OpenSettlers | undefined;
    this.opened = new Promise<SessionOpened>((resolve, reject) => {
      settle = { resolve, reject };
    });
    // The executor above ran synchronously, so settle is set.
    this.settleOpen = settle as OpenSettlers;
    const { entry, options: entryOptions } = workerEntry();
    const workerData: SessionWorkerData = {
      path,
      settings,
      abandoned: this.abandoned.buffer as SharedArrayBuffer,
      running: this.running.buffer as SharedArrayBuffer,
      cancelled: this.cancelled.buffer as SharedArrayBuffer,
    };
    const workerOptions: WorkerOptions = {
      ...entryOptions,
      workerData,
      // The worker's stdout/stderr go to the process's own (onnxruntime logs to stderr).
      stdout: false,
      stderr: false,
    };
    this.worker = new Worker(entry, workerOptions);
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    // An uncaught exception in the worker; its 'exit' follows and reports the failure.
    this.worker.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    // A message that could not be deserialized belongs to a run we cannot identify, which
    // would then wait forever: treat it as the worker failing.
    this.worker.on('messageerror', (err: Error) => {
      this.fail(`a message from the onnxruntime worker could not be read: ${err.message}`);
      void this.terminateOutsideRuns();
    });
    this.worker.on('exit', (code: number) => this.exited(code));
    options.onSpawn?.(this.worker);
  }

  run(
    feeds: TensorMap,
    outputNames: readonly string[] | undefined,
    cancel?: AbortSignal,
    timed?: RunTimingListener,
  ): Promise<TensorMap> {
    if (this.failure !== undefined) return Promise.reject(new Error(this.failure));
    if (this.releasing !== undefined)
      return Promise.reject(new Error('the model session was released'));
    const id = this.nextId++;
    return new Promise<TensorMap>((resolve, reject) => {
      const transfer: ArrayBuffer[] = [];
      const request: RunRequest = {
        kind: 'run',
        id,
        feeds: tensorsForTransfer(feeds, transfer),
        outputNames,
      };
      try {
        this.post(request, transfer);
      } catch {
        // A buffer that may not be transferred (Node marks some as untransferable): copy all.
        this.post({ ...request, feeds: copiedTensors(feeds) }, []);
      }
      this.pending.set(id, { resolve, reject, timed });
      // Shared memory: the worker reads it right before starting the run, even while it is
      // still busy with the previous one (a message would be read only after).
      cancel?.addEventListener(
        'abort',
        () => Atomics.store(this.cancelled, id % this.cancelled.length, id),
        { once: true },
      );
      // A worker with runs pending keeps the process alive; an idle one does not.
      if (this.pending.size === 1) this.worker.ref();
    });
  }

  onFailure(listener: (reason: string) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** The worker starts no further run; resolves when none is in progress (see InferenceModel). */
  abandon(): Promise<void> {
    Atomics.store(this.abandoned, 0, StopReason.shutdownDeadline);
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Lets queued runs finish, releases the session in the worker, then ends the worker. */
  release(): Promise<void> {
    this.releasing ??= this.stop();
    return this.releasing;
  }

  private async stop(): Promise<void> {
    if (this.failure !== undefined) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.post({ kind: 'release' }, []);
    const timeoutMs = this.options.releaseTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') await this.terminateOutsideRuns();
  }

  /**
   * Ends the worker, but never inside onnxruntime's native run: terminating there aborts the
   * whole process. Stops further runs first, then waits for the current one to post its
   * answer (see `running` in session-worker-messages.ts).
   */
  private async terminateOutsideRuns(): Promise<void> {
    Atomics.compareExchange(this.abandoned, 0, StopReason.none, StopReason.stopping);
    while (Atomics.load(this.running, 0) === 1) {
      await new Promise((resolve) => setTimeout(resolve, RUNNING_POLL_MS));
    }
    await this.worker.terminate();
  }

  private post(message: ToWorker, transfer: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(message: FromWorker): void {
    switch (message.kind) {
      case 'opened':
        this.worker.unref();
        this.settleOpen.resolve(message);
        return;
      case 'open-failed':
        this.settleOpen.reject(new Error(message.message));
        return;
      case 'result': {
        const run = this.take(message.id);
        run?.timed?.(message.timing);
        run?.resolve(message.outputs);
        return;
      }
      case 'run-failed': {
        const run = this.take(message.id);
        if (message.timing !== undefined) run?.timed?.(message.timing);
        run?.reject(new Error(message.message));
        return;
      }
    }
  }

  private take(id: number): PendingRun | undefined {
    const run = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0 && this.failure === undefined) this.worker.unref();
    if (this.pending.size === 0) this.notifyIdle();
    return run;
  }

  private exited(code: number): void {
    const expected = this.releasing !== undefined && this.failure === undefined;
    const reason = expected
      ? 'the model session was released'
      : `the onnxruntime worker thread exited (code ${code})${this.lastError !== undefined ? `: ${this.lastError}` : ''}`;
    if (expected) this.rejectAll(reason);
    else this.fail(reason);
  }

  /** Records the failure once, rejects every pending run and tells the listeners. */
  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.settleOpen.reject(new Error(reason));
    this.rejectAll(reason);
    const listeners = this.failureListeners.splice(0);
    for (const listener of listeners) listener(reason);
  }

  private rejectAll(reason: string): void {
    const runs = [...this.pending.values()];
    this.pending.clear();
    for (const run of runs) run.reject(new Error(reason));
    this.notifyIdle();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters.splice(0);
    for (const waiter of waiters) waiter();
  }
}
