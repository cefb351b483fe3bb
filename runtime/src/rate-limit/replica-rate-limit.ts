import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { HttpError } from '../errors.js';

export interface RateLimitSettings {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export interface WindowCount {
  /** Requests in the current window, this one included. */
  readonly current: number;
  /** Milliseconds until the window ends. */
  readonly ttl: number;
}

/**
 * One fixed window of `burst` requests per burst/rps seconds for the whole replica, shared by
 * the HTTP routes (as @fastify/rate-limit's store) and the gRPC methods, so a client cannot
 * double its allowance by switching protocols. Same counting as @fastify/rate-limit's
 * LocalStore: a window starts at the first request after the previous one ended.
 */
export class ReplicaRateLimit {
  readonly windowMs: number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    readonly settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = Math.max(1, Math.round((settings.burst / settings.requestsPerSecond) * 1000));
  }

  get max(): number {
    return this.settings.burst;
  }

  /** Counts one request. */
  take(): WindowCount {
    const now = this.now();
    if (now >= this.windowStart + this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return { current: this.count, ttl: this.windowStart + this.windowMs - now };
  }

  /** Counts one request; throws the 429 the HTTP side answers when it is over the burst. */
  admit(): void {
    const { current, ttl } = this.take();
    if (current > this.max) {
      const seconds = Math.max(1, Math.ceil(ttl / 1000));
      throw this.exceeded(`${seconds} second${seconds === 1 ? '' : 's'}`, seconds);
    }
  }

  /** The 429 both protocols answer; `after` as @fastify/rate-limit words it ("1 second"). */
  exceeded(after: string, retryAfterSeconds: number): HttpError {
    const { requestsPerSecond, burst } = this.settings;
    return new HttpError(
      429,
      `rate limit exceeded: ${requestsPerSecond} requests/s, burst ${burst} (RATE_LIMIT_RPS, RATE_LIMIT_BURST); retry after ${after}`,
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  /** A @fastify/rate-limit store class over this window (the plugin constructs it itself). */
  storeClass(): new () => FastifyRateLimitStore {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the plugin calls `new Store()`; the class must close over this window
    const window = this;
    return class SharedWindowStore implements FastifyRateLimitStore {
      incr(_key: string, callback: (error: Error | null, result?: WindowCount) => void): void {
        callback(null, window.take());
      }
      child(): FastifyRateLimitStore {
        return this;
      }
    };
  }
}
