import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkDigest } from '../digest.js';
import { ModelStorageError, RetryableDownloadError } from './storage-errors.js';
import type { SlotRing } from './slot-ring.js';
import { streamToFile } from './stream-to-file.js';
import { scavengeEvery } from './young-garbage.js';
import type { Readable } from 'node:stream';

/** Where a model with this digest lives in the cache. */
export const cachedModelPath = (cacheDir: string, sha256: string): string =>
  join(cacheDir, `sha256-${sha256}.onnx`);

export interface CacheWrite {
  readonly cacheDir: string;
  readonly location: string;
  readonly expectedSha256: string | undefined;
  readonly maxBytes: number;
  /** Which setting maxBytes comes from, for the message when a download exceeds it. */
  readonly limitName: string;
  readonly onBytes: (bytes: number) => void;
}

export interface CachedFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** A limit or a digest mismatch is final; anything else a stream throws is a reset or a timeout. */
class LimitExceededError extends Error {}

/**
 * Streams a body into a temporary file in the cache dir, hashing as it goes, and renames it
 * to its digest's name only when it is whole and verified: the cache never holds a
 * half-written or unverified model, and memory holds a few MiB of it at a time
 * (stream-to-file.ts).
 */
export async function writeToCache(
  body: Readable,
  ring: SlotRing,
  target: CacheWrite,
  describe: (err: Error) => string,
): Promise<CachedFile> {
  const tmp = join(target.cacheDir, `.download-${randomUUID()}`);
  try {
    const { sha256, bytes } = await streamToFile(body, ring, tmp, limitAndProgress(target)).catch(
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        if (error instanceof LimitExceededError || error instanceof ModelStorageError) throw error;
        throw new RetryableDownloadError(`${target.location}: ${describe(error)}`, {
          cause: error,
        });
      },
    );
    checkDigest(target.location, target.expectedSha256, sha256);
    const path = cachedModelPath(target.cacheDir, sha256);
    await rename(tmp, path);
    return { path, sha256, bytes };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Stops a body that outgrows the limit (a store may not say its size) and reports progress. */
function limitAndProgress(target: CacheWrite): (bytes: number) => void {
  const collect = scavengeEvery();
  return (bytes) => {
    if (bytes > target.maxBytes) {
      throw new LimitExceededError(
        `${target.location}: more than ${target.limitName}=${target.maxBytes} bytes; raise the limit or check the URI`,
      );
    }
    target.onBytes(bytes);
    collect(bytes);
  };
}
