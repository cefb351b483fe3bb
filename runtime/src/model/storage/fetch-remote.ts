import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { sha256File } from '../digest.js';
import { progressTracker, type ProgressEvent } from './progress.js';
import type { RemoteObject } from './remote-object.js';
import { SlotRing } from './slot-ring.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { RetryableDownloadError } from './storage-errors.js';
import { cachedModelPath, writeToCache, type CachedFile } from './write-to-cache.js';

export interface FetchOptions {
  readonly cacheDir: string;
  readonly expectedSha256: string | undefined;
  /** Per attempt, from the first request to the last byte. */
  readonly timeoutMs: number;
  /** The smaller of MODEL_MAX_BYTES and the cache volume's size limit. */
  readonly maxBytes: number;
  /** The setting maxBytes comes from, named in the message when a model exceeds it. */
  readonly limitName: string;
  readonly retry: RetryPolicy;
  readonly onProgress?: (event: ProgressEvent) => void;
}

export interface FetchResult extends CachedFile {
  readonly fromCache: boolean;
}

/**
 * A remote model into the cache: a verified cached copy when MODEL_SHA256 names one,
 * otherwise a size check of the response's metadata against the limit (before a byte of the
 * body is read), then a streamed,
 * hashed download, retried with back-off on resets, timeouts and 5xx.
 */
export async function fetchRemoteModel(
  object: RemoteObject,
  options: FetchOptions,
): Promise<FetchResult> {
  await mkdir(options.cacheDir, { recursive: true });
  const cached = await fromCache(options);
  if (cached !== undefined) return cached;
  return withRetries(async () => {
    // Its hashing thread starts while the request is made.
    const ring = new SlotRing();
    try {
      return await attempt(object, options, ring);
    } finally {
      await ring.close();
    }
  }, options.retry);
}

async function attempt(
  object: RemoteObject,
  options: FetchOptions,
  ring: SlotRing,
): Promise<FetchResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const describe = (err: Error): string => describeFailure(err, signal, options.timeoutMs);
  const opened = await guard(object.location, () => object.open(signal), describe);
  try {
    checkSize(object.location, opened.size, options);
  } catch (err) {
    opened.discard();
    throw err;
  }
  const file = await writeToCache(
    opened.body,
    ring,
    {
      cacheDir: options.cacheDir,
      location: object.location,
      expectedSha256: options.expectedSha256,
      maxBytes: options.maxBytes,
      limitName: options.limitName,
      onBytes: progressTracker(opened.size, options.onProgress ?? (() => {})),
    },
    describe,
  );
  return { ...file, fromCache: false };
}

async function fromCache(options: FetchOptions): Promise<FetchResult | undefined> {
  if (options.expectedSha256 === undefined) return undefined;
  const path = cachedModelPath(options.cacheDir, options.expectedSha256);
  if (!existsSync(path)) return undefined;
  const digest = await sha256File(path);
  if (digest !== options.expectedSha256) {
    await rm(path, { force: true });
    return undefined;
  }
  return { path, sha256: digest, bytes: (await stat(path)).size, fromCache: true };
}

/** Refuses a model the cache cannot hold before downloading any of it. */
function checkSize(location: string, size: number | undefined, options: FetchOptions): void {
  if (size === undefined || size <= options.maxBytes) return;
  throw new Error(
    `${location}: ${size} bytes is more than ${options.limitName}=${options.maxBytes}; raise the limit or check the URI`,
  );
}

/** A timeout (ours or the client's own, e.g. connecting) is retryable, whatever the library named it. */
async function guard<T>(
  location: string,
  step: () => Promise<T>,
  describe: (err: Error) => string,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (isTimeout(error)) throw new RetryableDownloadError(`${location}: ${describe(error)}`);
    throw error;
  }
}

const isTimeout = (err: Error): boolean => err.name === 'TimeoutError' || err.name === 'AbortError';

/** Only our own signal's abort is MODEL_DOWNLOAD_TIMEOUT_MS; a client's connect timeout says its own words. */
function describeFailure(err: Error, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `timed out after ${timeoutMs} ms (MODEL_DOWNLOAD_TIMEOUT_MS)`;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
