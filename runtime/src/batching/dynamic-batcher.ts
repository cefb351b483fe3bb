import type { BatchSpan, BatchTracer } from '../observability/batch-tracing.js';
import type { BatchMember } from '../observability/request-trace.js';
import type { RunTiming, RunTimingListener } from '../observability/run-timing.js';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import {
  ClientGoneError,
  QueueFullError,
  RequestTimeoutError,
  ShuttingDownError,
} from './errors.js';
import type { HangupSignal } from './client-hangup.js';
import { runFailure } from './run-failure.js';
import { batchKey, concatRows, splitRows } from './tensor-batch.js';

const NEVER_CANCELLED = new AbortController().signal;

/** Why a request left without being computed: its deadline passed, or its client hung up. */
export type DropReason = 'timeout' | 'client_gone';

export interface BatchObserver {
  queueDepth(depth: number): void;
  queued(seconds: number): void;
  inference(seconds: number, rows: number): void;
  /** A session run made to find which requests of a failed batch fail on their own. */
  isolationRun?(): void;
  /** A request of a failed batch (of several) that also failed on its own. */
  isolatedFailure?(): void;
  /** A request that nobody waits for any more was not computed. */
  dropped?(reason: DropReason): void;
}

export interface BatcherOptions {
  /** Rows per run; 1 turns batching off. */
  readonly maxBatchSize: number;
  readonly maxDelayMs: number;
  readonly maxQueue: number;
  readonly timeoutMs: number;
  /** False for models without a dynamic first dimension: every request runs alone. */
  readonly batchable: boolean;
  readonly inputNames: readonly string[];
  /**
   * Runs one batch. `cancel` aborts once every request of the batch has timed out or been
   * abandoned; a model that has not started the run yet then skips it (and rejects).
   */
  readonly run: (
    feeds: TensorMap,
    cancel: AbortSignal,
    timed?: RunTimingListener,
  ) => Promise<TensorMap>;
  /**
   * Batches that may be running at once (default 1). With the session in a worker thread,
   * 2 lets a full next batch be joined and handed to the worker while the current one
   * computes, so the worker starts it without waiting for this thread to get round to it.
   * A second batch leaves only when it is full (or on flush): one that is not full could
   * only get bigger by waiting for the running batch to finish.
   */
  readonly maxInFlight?: number;
  /**
   * Whether requests that could join are on their way (received, body still arriving).
   * When this says no, waiting for BATCH_MAX_DELAY_MS would only add latency, so the batch
   * leaves at once. Without it the batcher always waits up to maxDelayMs.
   */
  readonly moreArriving?: () => boolean;
  readonly observer?: BatchObserver;
  /** Spans for the queue wait, the batch and its runs, of sampled requests (tracing on). */
  readonly tracer?: BatchTracer;
}

interface Pending {
  readonly feeds: TensorMap;
  readonly rows: number;
  readonly key: string;
  readonly enqueuedAt: number;
  readonly resolve: (outputs: TensorMap) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  state: 'queued' | 'running' | 'done';
  /** Set when it left without an answer: why (for the dropped count if its run is skipped). */
  gone: DropReason | undefined;
  /** The batch it runs in, once taken from the queue. */
  batch: RunningBatch | undefined;
  /** Its request's spans, when it is traced and sampled. */
  readonly traced: BatchMember | undefined;
}

interface RunningBatch {
  readonly members: readonly Pending[];
  readonly cancel: AbortController;
}

/**
 * Joins concurrent requests along dimension 0 into one session run: a batch leaves when it
 * has maxBatchSize rows, when its oldest request has waited maxDelayMs, or when no further
 * request is being received (so a lone request does not wait for nothing). One run at a time
 * by default: onnxruntime already uses the cores for a run, and requests that arrive meanwhile
 * form the next batch; see maxInFlight for handing a full next batch over early.
 */
export class DynamicBatcher {
  private queue: Pending[] = [];
  private queuedRows = 0;
  private inFlight = 0;
  private delayTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private flushing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: BatcherOptions) {}

  get depth(): number {
    return this.queue.length;
  }

  /** Batches handed to the model and not answered yet (at most maxInFlight). */
  get running(): number {
    return this.inFlight;
  }

  /**
   * Queues one request (already validated); resolves with exactly its rows of every output.
   * `abandoned` aborts when the client hangs up: the request leaves the queue uncomputed.
   */
  submit(feeds: TensorMap, abandoned?: HangupSignal, traced?: BatchMember): Promise<TensorMap> {
    if (this.closed) return Promise.reject(new ShuttingDownError());
    if (abandoned?.aborted === true) return Promise.reject(new ClientGoneError());
    if (this.queue.length >= this.options.maxQueue)
      return Promise.reject(new QueueFullError(this.options.maxQueue));
    const first = feeds[this.options.inputNames[0] ?? ''];
    const rows = this.options.batchable ? (first?.dims[0] ?? 1) : 1;
    return new Promise<TensorMap>((resolve, reject) => {
      const pending: Pending = {
        feeds,
        rows,
        key: this.options.batchable ? batchKey(feeds, this.options.inputNames) : '',
        enqueuedAt: performance.now(),
        resolve,
        reject,
        timer: undefined,
        state: 'queued',
        gone: undefined,
        batch: undefined,
        traced,
      };
      pending.timer = setTimeout(() => this.expire(pending), this.options.timeoutMs);
      abandoned?.addEventListener('abort', () => this.abandon(pending), { once: true });
      this.queue.push(pending);
      this.queuedRows += rows;
      this.options.observer?.queueDepth(this.queue.length);
      this.schedule();
    });
  }

  /** From now on batches leave without waiting for BATCH_MAX_DELAY_MS (shutdown). */
  flush(): void {
    this.flushing = true;
    this.schedule();
  }

  /** Refuses new work; queued work is dispatched at once and completes. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * A batch leaves when it is full, when its oldest request has waited maxDelayMs (as
   * Triton's max_queue_delay), or when no other request is on its way to join it.
   */
  private schedule(): void {
    if (this.inFlight >= (this.options.maxInFlight ?? 1) || this.queue.length === 0) return;
    const full =
      !this.options.batchable ||
      this.options.maxBatchSize <= 1 ||
      this.queuedRows >= this.options.maxBatchSize;
    if (this.inFlight > 0) {
      // Another batch is running: this one leaves early only when it cannot grow any more.
      if (full || this.flushing) this.dispatch();
      return;
    }
    const waited = performance.now() - (this.queue[0] as Pending).enqueuedAt;
    const nothingComing = this.options.moreArriving !== undefined && !this.options.moreArriving();
    if (full || this.flushing || nothingComing || waited >= this.options.maxDelayMs) {
      this.dispatch();
    } else if (this.delayTimer === undefined) {
      this.delayTimer = setTimeout(() => this.dispatch(), this.options.maxDelayMs - waited);
    }
  }

  private dispatch(): void {
    if (this.delayTimer !== undefined) clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    if (this.inFlight >= (this.options.maxInFlight ?? 1) || this.queue.length === 0) return;
    const batch = this.takeBatch();
    if (batch.length === 0) {
      if (this.inFlight === 0) this.notifyIdle();
      return;
    }
    this.inFlight++;
    void this.runBatch(batch).finally(() => {
      this.inFlight--;
      if (this.queue.length > 0) this.schedule();
      else if (this.inFlight === 0) this.notifyIdle();
    });
    // With room for another batch, one that is already full can leave at once.
    if (this.queue.length > 0) this.schedule();
  }

  /** FIFO: the oldest request and the following ones with the same trailing shape that fit. */
  private takeBatch(): Pending[] {
    let head: Pending | undefined;
    const limit = this.options.batchable ? this.options.maxBatchSize : 1;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    let rows = 0;
    const now = performance.now();
    for (const p of this.queue) {
      if (now - p.enqueuedAt >= this.options.timeoutMs) {
        // Its deadline passed while an earlier (synchronous) run held the event loop.
        this.queuedRows -= p.rows;
        this.expire(p, false);
        this.options.observer?.dropped?.('timeout');
        continue;
      }
      const fits = head === undefined || (p.key === head.key && rows + p.rows <= limit);
      if (fits) {
        head ??= p;
        batch.push(p);
        rows += p.rows;
      } else {
        rest.push(p);
      }
    }
    this.queue = rest;
    this.queuedRows -= rows;
    this.options.observer?.queueDepth(this.queue.length);
    const running: RunningBatch = { members: batch, cancel: new AbortController() };
    for (const p of batch) {
      p.state = 'running';
      p.batch = running;
      this.options.observer?.queued((now - p.enqueuedAt) / 1000);
      p.traced?.queued(p.enqueuedAt, now);
    }
    return batch;
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const cancel = (batch[0] as Pending).batch?.cancel.signal;
    const span = this.batchSpan(batch);
    try {
      this.deliver(batch, await this.timedRun(batch, span, cancel));
      span?.end();
    } catch (err) {
      if (cancel?.aborted === true) {
        // Skipped before it started: every request in it had already left.
        for (const p of batch) this.options.observer?.dropped?.(p.gone ?? 'timeout');
        span?.end(err as Error);
        return;
      }
      await this.isolate(batch, err as Error, span);
      span?.end(err as Error);
    }
  }

  /** A span for the batch when a tracer is set and one of its requests is sampled. */
  private batchSpan(batch: readonly Pending[]): BatchSpan | undefined {
    const tracer = this.options.tracer;
    if (tracer === undefined) return undefined;
    // A batch without a sampled request makes no array (and no span).
    let members: BatchMember[] | undefined;
    let rows = 0;
    for (const p of batch) {
      rows += p.rows;
      if (p.traced !== undefined) (members ??= []).push(p.traced);
    }
    return members === undefined ? undefined : tracer.start(members, batch.length, rows);
  }

  /** `cancel` only for a batch's own run; isolation runs serve requests still waiting. */
  private async timedRun(
    batch: readonly Pending[],
    span: BatchSpan | undefined,
    cancel: AbortSignal = NEVER_CANCELLED,
  ): Promise<TensorMap> {
    const rows = batch.reduce((n, p) => n + p.rows, 0);
    const started = performance.now();
    let timing: RunTiming | undefined;
    const timed = span === undefined ? undefined : (t: RunTiming) => (timing = t);
    let answered = false;
    try {
      const outputs = await this.options.run(this.joinFeeds(batch), cancel, timed);
      answered = true;
      this.options.observer?.inference((performance.now() - started) / 1000, rows);
      return outputs;
    } finally {
      // A run that failed shows too; one skipped before it started (no timing) does not.
      if (answered || timing !== undefined)
        span?.inference(timing, started, performance.now(), rows, cancel === NEVER_CANCELLED);
    }
  }

  /**
   * A run failed. One bad request (an id outside an embedding table) must not fail the
   * requests batched with it, so a failed batch of several is bisected: each half runs again,
   * a half that succeeds is answered, a half that fails is split further, and a request that
   * fails alone gets the error. One culprit among n costs about 2·log2(n) extra runs.
   */
  private async isolate(
    batch: readonly Pending[],
    error: Error,
    span: BatchSpan | undefined,
  ): Promise<void> {
    if (batch.length === 1) {
      const only = batch[0] as Pending;
      this.settle(only, () => only.reject(runFailure(error.message, this.options.inputNames)));
      return;
    }
    const mid = Math.ceil(batch.length / 2);
    for (const half of [batch.slice(0, mid), batch.slice(mid)]) {
      // Requests whose deadline passed meanwhile were answered with 504: do not run them.
      const live = half.filter((p) => p.state !== 'done');
      if (live.length === 0) continue;
      this.options.observer?.isolationRun?.();
      try {
        this.deliver(live, await this.timedRun(live, span));
      } catch (err) {
        if (live.length === 1) this.options.observer?.isolatedFailure?.();
        await this.isolate(live, err as Error, span);
      }
    }
  }

  private joinFeeds(batch: readonly Pending[]): TensorMap {
    if (batch.length === 1) return (batch[0] as Pending).feeds;
    const feeds: Record<string, HostTensor> = {};
    for (const name of this.options.inputNames) {
      feeds[name] = concatRows(batch.map((p) => p.feeds[name] as HostTensor));
    }
    return feeds;
  }

  private deliver(batch: readonly Pending[], outputs: TensorMap): void {
    if (batch.length === 1) {
      const only = batch[0] as Pending;
      this.settle(only, () => only.resolve(outputs));
      return;
    }
    const perRequest: Record<string, HostTensor>[] = batch.map(() => ({}));
    const counts = batch.map((p) => p.rows);
    for (const [name, tensor] of Object.entries(outputs)) {
      const parts = splitRows(tensor, counts, name);
      parts.forEach((part, i) => ((perRequest[i] as Record<string, HostTensor>)[name] = part));
    }
    batch.forEach((p, i) => this.settle(p, () => p.resolve(perRequest[i] as TensorMap)));
  }

  private settle(p: Pending, action: () => void): void {
    if (p.state === 'done') return;
    if (performance.now() - p.enqueuedAt > this.options.timeoutMs) {
      // A session on this thread (SESSION_THREAD=main, or auto for a cheap model) blocks it
      // for the whole run, so the timer could not fire; a worker's run lets it fire and settle.
      this.expire(p, false);
      return;
    }
    p.state = 'done';
    clearTimeout(p.timer);
    action();
  }

  private expire(p: Pending, removeFromQueue = true): void {
    if (p.state === 'done') return;
    const stage = p.state;
    this.leave(p, 'timeout', removeFromQueue);
    p.reject(new RequestTimeoutError(this.options.timeoutMs, stage));
    if (this.queue.length === 0 && this.inFlight === 0) this.notifyIdle();
  }

  /** Its client hung up: nobody will read the answer, so it is not computed if avoidable. */
  private abandon(p: Pending): void {
    if (p.state === 'done') return;
    this.leave(p, 'client_gone', true);
    p.reject(new ClientGoneError());
    if (this.queue.length === 0 && this.inFlight === 0) this.notifyIdle();
  }

  /**
   * Takes a request that will get no answer out of the queue (counted as dropped), or, when
   * its batch has left, cancels that batch's run once none of its requests waits for it.
   */
  private leave(p: Pending, reason: DropReason, removeFromQueue: boolean): void {
    clearTimeout(p.timer);
    const wasQueued = p.state === 'queued';
    p.state = 'done';
    p.gone = reason;
    if (wasQueued && removeFromQueue) {
      this.queue = this.queue.filter((q) => q !== p);
      this.queuedRows -= p.rows;
      this.options.observer?.queueDepth(this.queue.length);
      this.options.observer?.dropped?.(reason);
    }
    const batch = p.batch;
    if (batch !== undefined && batch.members.every((m) => m.state === 'done')) batch.cancel.abort();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
