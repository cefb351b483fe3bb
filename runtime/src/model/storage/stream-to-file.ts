import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { SlotRing } from './slot-ring.js';

export interface StreamedFile {
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Hashes a body and writes it to `path` with receiving on the main thread and hashing and
 * writing on a worker thread, overlapped: each chunk is copied into a fixed ring of shared
 * slots (slot-ring.ts) and the body pauses only while every slot waits for the worker.
 * On one thread the sha256 alone took ~150 ms of every 200 MiB, between the socket's reads.
 * The ring is used once, and closed when this settles.
 * `onBytes` sees the running count before each chunk is copied and may throw to stop.
 * When it fails, the promise settles only after the worker has stopped writing, so the
 * caller may close and remove the file at once.
 */
export async function streamToFile(
  body: Readable,
  ring: SlotRing,
  path: string,
  onBytes: (bytes: number) => void,
): Promise<StreamedFile> {
  const file = await open(path, 'w').catch(async (err: unknown) => {
    await ring.close();
    throw err;
  });
  try {
    ring.attach(file.fd);
    return await pump(body, ring, onBytes);
  } finally {
    await file.close();
  }
}

function pump(
  body: Readable,
  ring: SlotRing,
  onBytes: (bytes: number) => void,
): Promise<StreamedFile> {
  let bytes = 0;
  let failed = false;
  /** Set while part of a chunk waits for a free slot, with the body paused. */
  let copying: Promise<void> | undefined;
  return new Promise<StreamedFile>((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      body.destroy();
      void ring.close().then(() => reject(err));
    };
    const copy = (chunk: Uint8Array): void => {
      const rest = ring.copyIn(chunk);
      if (rest.byteLength === 0) {
        copying = undefined;
        if (body.isPaused()) body.resume();
        return;
      }
      body.pause();
      copying = ring.roomFreed().then(() => {
        if (!failed) copy(rest);
      }, fail);
    };
    ring.onFailure(fail);
    body.on('data', (chunk: Uint8Array) => {
      if (failed) return;
      bytes += chunk.byteLength;
      try {
        onBytes(bytes);
      } catch (err) {
        fail(err);
        return;
      }
      copy(chunk);
    });
    finished(body)
      .then(async () => {
        while (copying !== undefined) await copying;
        if (failed) return;
        resolve({ sha256: await ring.end(), bytes });
      })
      .catch(fail);
  });
}
