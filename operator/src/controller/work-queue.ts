/** Time source, injected so tests control back-off and delays. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export interface QueueObserver {
  added(): void;
  retried(): void;
  depth(n: number): void;
  queued(seconds: number): void;
  worked(seconds: number): void;
}

const noopObserver: QueueObserver = {
  added: () => {},
  retried: () => {},
  depth: () => {},
  queued: () => {},
  worked: () => {},
};

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  observer?: QueueObserver;
}

/**
 * The controller's work queue, with client-go's guarantees: a key is queued at most
 * once; a key being processed is never handed to a second worker, and if it changes
 * meanwhile it is processed again afterwards; failures back off exponentially per key.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; cancel(): void }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly observer: QueueObserver;

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.observer = opts.observer ?? noopObserver;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer.added();
    this.dirty.add(key);
    this.enqueuedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    pending?.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel: timer.cancel });
  }

  /** Re-queues a key that failed, waiting base * 2^failures (capped). */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.observer.retried();
    this.addAfter(key, this.backoffFor(n));
  }

  backoffFor(failures: number): number {
    const base = this.opts.baseDelayMs ?? 100;
    const max = this.opts.maxDelayMs ?? 300_000;
    return Math.min(base * 2 ** failures, max);
  }

  /** Clears the failure count of a key after it succeeded. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Resolves with the next key, or undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.take(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    if (started !== undefined) this.observer.worked((this.clock.now() - started) / 1000);
    this.startedAt.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  get length(): number {
    return this.queue.length;
  }

  /** Seconds the longest-running key has been processed (controller-runtime metric). */
  longestRunningSeconds(): number {
    const now = this.clock.now();
    let longest = 0;
    for (const t of this.startedAt.values()) longest = Math.max(longest, (now - t) / 1000);
    return longest;
  }

  unfinishedWorkSeconds(): number {
    const now = this.clock.now();
    let total = 0;
    for (const t of this.startedAt.values()) total += (now - t) / 1000;
    return total;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.take(key));
      return;
    }
    this.queue.push(key);
    this.observer.depth(this.queue.length);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    const now = this.clock.now();
    const enqueued = this.enqueuedAt.get(key);
    if (enqueued !== undefined) this.observer.queued((now - enqueued) / 1000);
    this.enqueuedAt.delete(key);
    this.startedAt.set(key, now);
    this.observer.depth(this.queue.length);
    return key;
  }
}
