import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { ReplicaRateLimit } from './replica-rate-limit.js';

describe('ReplicaRateLimit', () => {
  it('admits a burst per window, then refuses with 429 and the seconds left', () => {
    let now = 1_000;
    const limit = new ReplicaRateLimit({ requestsPerSecond: 2, burst: 4 }, () => now);
    expect(limit.windowMs).toBe(2_000);
    for (let i = 0; i < 4; i++) limit.admit();
    now += 500;
    let refused: unknown;
    try {
      limit.admit();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).statusCode).toBe(429);
    expect((refused as HttpError).headers['retry-after']).toBe('2');
    expect((refused as HttpError).message).toBe(
      'rate limit exceeded: 2 requests/s, burst 4 (RATE_LIMIT_RPS, RATE_LIMIT_BURST); retry after 2 seconds',
    );
    now += 1_500;
    expect(() => limit.admit()).not.toThrow();
  });

  it('is one window for every user of its store, whatever key they count under', () => {
    let now = 0;
    const limit = new ReplicaRateLimit({ requestsPerSecond: 1, burst: 2 }, () => now);
    const Store = limit.storeClass();
    const store = new Store();
    const counts: number[] = [];
    store.incr('a', (_e, r) => counts.push(r?.current ?? -1), 0, 0);
    store.child({} as never).incr('b', (_e, r) => counts.push(r?.current ?? -1), 0, 0);
    expect(counts).toEqual([1, 2]);
    expect(() => limit.admit()).toThrow(/rate limit exceeded/);
    now = 2_000;
    expect(limit.take()).toEqual({ current: 1, ttl: 2_000 });
  });
});
