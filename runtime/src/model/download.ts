import { fetchRemoteModel, type FetchResult } from './storage/fetch-remote.js';
import { httpsObject, type HttpAuth } from './storage/https-object.js';
import type { ProgressEvent } from './storage/progress.js';
import { sleep } from './storage/retry.js';

export { redact } from './storage/redact.js';

export interface DownloadOptions {
  readonly url: string;
  readonly cacheDir: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly retries: number;
  readonly expectedSha256: string | undefined;
  /** First back-off delay; it doubles each attempt (capped at 30 s). */
  readonly backoffBaseMs?: number;
  readonly onRetry?: (attempt: number, delayMs: number, error: Error) => void;
  readonly auth?: HttpAuth;
  readonly caBundle?: string;
  /** Waits between attempts; tests pass one that does not. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export type DownloadResult = FetchResult;

/** Downloads a model over http(s) into the cache, with timeout, size limit, retries and sha256. */
export function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  const object = httpsObject(options.url, { auth: options.auth, caBundle: options.caBundle });
  return fetchRemoteModel(object, {
    cacheDir: options.cacheDir,
    expectedSha256: options.expectedSha256,
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
    limitName: 'MODEL_MAX_BYTES',
    retry: {
      retries: options.retries,
      baseDelayMs: options.backoffBaseMs ?? 500,
      maxDelayMs: 30_000,
      sleep: options.sleep ?? sleep,
      ...(options.onRetry !== undefined ? { onRetry: options.onRetry } : {}),
    },
    ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
  });
}
