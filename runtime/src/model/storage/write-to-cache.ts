import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkDigest } from '../digest.js';
import { ModelStorageError, RetryableDownloadError } from './storage-errors.js';

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

/**
 * Socket chunks are ~64 KiB; with fs streams' 16 KiB default every chunk became its own
 * write on the thread pool. A few MiB queue up and go out together (fs.WriteStream writev),
 * which is what lets the download keep up with the network; memory stays bounded by it.
 */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/** A limit or a digest mismatch is final; anything else a stream throws is a reset or a timeout. */
class LimitExceededError extends Error {}

/**
 * Streams a body into a temporary file in the cache dir, hashing as it goes, and renames it
 * to its digest's name only when it is whole and verified: the cache never holds a
 * half-written or unverified model, and memory holds one chunk at a time.
 */
export async function writeToCache(
  body: AsyncIterable<Uint8Array>,
  target: CacheWrite,
  describe: (err: Error) => string,
): Promise<CachedFile> {
  const tmp = join(target.cacheDir, `.download-${randomUUID()}`);
  try {
    const { sha256, bytes } = await streamToFile(body, tmp, target).catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      if (error instanceof LimitExceededError || error instanceof ModelStorageError) throw error;
      throw new RetryableDownloadError(`${target.location}: ${describe(error)}`, { cause: error });
    });
    checkDigest(target.location, target.expectedSha256, sha256);
    const path = cachedModelPath(target.cacheDir, sha256);
    await rename(tmp, path);
    return { path, sha256, bytes };
  } finally {
    await rm(tmp, { force: true });
  }
}

async function streamToFile(
  body: AsyncIterable<Uint8Array>,
  tmp: string,
  target: CacheWrite,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const out = createWriteStream(tmp, { highWaterMark: WRITE_BUFFER_BYTES });
  const failed = once(out, 'error').then(([err]: unknown[]) => {
    throw err;
  });
  failed.catch(() => {});
  let bytes = 0;
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      if (bytes > target.maxBytes) {
        throw new LimitExceededError(
          `${target.location}: more than ${target.limitName}=${target.maxBytes} bytes; raise the limit or check the URI`,
        );
      }
      hash.update(chunk);
      target.onBytes(bytes);
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    }
  } finally {
    out.end();
    // A stream that failed has closed already; waiting for 'close' again would hang.
    if (!out.closed) await once(out, 'close');
  }
  return { sha256: hash.digest('hex'), bytes };
}
