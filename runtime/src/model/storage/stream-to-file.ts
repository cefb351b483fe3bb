import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';

/**
 * Chunks gathered into one writev: one write per 64 KiB socket chunk spent ~40 ms of the
 * main thread per 200 MiB just submitting writes to the thread pool.
 */
export const MIN_WRITE_BYTES = 1024 * 1024;

/**
 * Chunks that may wait, hashed, behind a write still in flight before the body is paused;
 * with the write itself (at most as much), this bounds what a download holds in memory.
 */
export const MAX_PENDING_BYTES = 2 * 1024 * 1024;

export interface StreamedFile {
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Hashes a body and writes it to `path` with the two overlapped: while one writev of the
 * chunks received so far runs on the thread pool, the next chunks are received and hashed
 * on the main thread and gathered for the next write. fs.WriteStream, once past its
 * highWaterMark, paused the body until its whole buffer had been written ('drain'), so
 * receiving, hashing and writing took turns. Here the body pauses only when
 * MAX_PENDING_BYTES wait behind a write in flight.
 * `onBytes` sees the running count before each chunk is hashed and may throw to stop.
 * When it fails, the promise settles only after the write in flight has finished, so the
 * caller may close and remove the file at once.
 */
export async function streamToFile(
  body: Readable,
  path: string,
  onBytes: (bytes: number) => void,
): Promise<StreamedFile> {
  const file = await open(path, 'w');
  try {
    return await pump(body, file, onBytes);
  } finally {
    await file.close();
  }
}

function pump(
  body: Readable,
  file: FileHandle,
  onBytes: (bytes: number) => void,
): Promise<StreamedFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let writing: Promise<void> | undefined;
  let failed = false;
  return new Promise<StreamedFile>((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      body.destroy();
      void (writing ?? Promise.resolve()).then(() => reject(err));
    };
    const flush = (): void => {
      const chunks = pending;
      pending = [];
      pendingBytes = 0;
      writing = writeAll(file, chunks).then(() => {
        writing = undefined;
        if (failed) return;
        if (pendingBytes >= MIN_WRITE_BYTES) flush();
        if (body.isPaused()) body.resume();
      }, fail);
    };
    body.on('data', (chunk: Uint8Array) => {
      if (failed) return;
      bytes += chunk.byteLength;
      try {
        onBytes(bytes);
      } catch (err) {
        fail(err);
        return;
      }
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (writing === undefined) {
        if (pendingBytes >= MIN_WRITE_BYTES) flush();
      } else if (pendingBytes >= MAX_PENDING_BYTES) body.pause();
    });
    finished(body)
      .then(async () => {
        while (writing !== undefined) await writing;
        if (failed) return;
        if (pendingBytes > 0) await writeAll(file, pending);
        resolve({ sha256: hash.digest('hex'), bytes });
      })
      .catch(fail);
  });
}

/** writev writes fewer bytes than asked only near a limit (IOV_MAX, a full disk): go on. */
async function writeAll(file: FileHandle, chunks: readonly Uint8Array[]): Promise<void> {
  let rest = chunks;
  while (rest.length > 0) {
    const { bytesWritten } = await file.writev(rest);
    if (bytesWritten === 0) throw new Error('writing the model file made no progress');
    rest = after(rest, bytesWritten);
  }
}

/** The chunks left once `written` bytes from their start are on disk. */
export function after(chunks: readonly Uint8Array[], written: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = written;
  for (const chunk of chunks) {
    if (skip >= chunk.byteLength) {
      skip -= chunk.byteLength;
      continue;
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return rest;
}
