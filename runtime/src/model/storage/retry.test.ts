import { describe, expect, it } from 'vitest';
import { backoffDelay, withRetries, type RetryPolicy } from './retry.js';
import { accessDenied, RetryableDownloadError, storageReason } from './storage-errors.js';

function policy(retries: number, slept: number[]): RetryPolicy {
  return {
    retries,
    baseDelayMs: 100,
    maxDelayMs: 250,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

describe('withRetries', () => {
  it('retries retryable failures with doubling, capped back-off until one succeeds', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetries(
      () => {
        calls++;
        if (calls < 4) return Promise.reject(new RetryableDownloadError('reset'));
        return Promise.resolve('ok');
      },
      policy(5, slept),
    );
    expect(result).toBe('ok');
    expect(slept).toEqual([100, 200, 250]);
  });

  it('gives up after the retries, counting the attempts and keeping the cause', async () => {
    const slept: number[] = [];
    const err = await withRetries(
      () => Promise.reject(new RetryableDownloadError('HTTP 503')),
      policy(2, slept),
    ).catch((e: unknown) => e as Error);
    expect(err.message).toBe('HTTP 503 (after 3 attempts)');
    expect(err.cause).toBeInstanceOf(RetryableDownloadError);
    expect(slept).toHaveLength(2);
  });

  it('does not retry a typed failure, and its reason survives the wrapping', async () => {
    const slept: number[] = [];
    let calls = 0;
    const err = await withRetries(
      () => {
        calls++;
        return Promise.reject(accessDenied('HTTP 403'));
      },
      policy(4, slept),
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(slept).toEqual([]);
    expect(storageReason(err)).toBe('ModelAccessDenied');
    expect(storageReason(new Error('other'))).toBeUndefined();
  });

  it('computes the back-off of each retry', () => {
    const p = { baseDelayMs: 500, maxDelayMs: 30_000 };
    expect([1, 2, 3, 8, 20].map((n) => backoffDelay(p, n))).toEqual([
      500, 1000, 2000, 30_000, 30_000,
    ]);
  });
});
