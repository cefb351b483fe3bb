import { RetryableDownloadError } from './storage-errors.js';

/** How a download is retried; sleep is injected so tests need not wait. */
export interface RetryPolicy {
  /** Further attempts after the first. */
  readonly retries: number;
  /** First back-off delay; it doubles each attempt, capped at maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The back-off before retry number `attempt` (1-based). */
export function backoffDelay(
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  attempt: number,
): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Runs `once` until it succeeds, retrying only RetryableDownloadError (resets, timeouts,
 * 5xx): a 403, a 404 or a digest mismatch gives the same answer every time. The final error
 * says how many attempts were made and keeps the failure as its cause.
 */
export async function withRetries<T>(
  once: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once(attempt);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!(error instanceof RetryableDownloadError) || attempt > policy.retries) {
        throw new Error(`${error.message} (after ${attempt} attempt${attempt === 1 ? '' : 's'})`, {
          cause: error,
        });
      }
      const delay = backoffDelay(policy, attempt);
      policy.onRetry?.(attempt, delay, error);
      await policy.sleep(delay);
    }
  }
}
