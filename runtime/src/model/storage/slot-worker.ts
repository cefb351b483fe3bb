import type * as Crypto from 'node:crypto';
import type * as Fs from 'node:fs';
import type * as WorkerThreads from 'node:worker_threads';

/** Cells of the ring's control array (Int32Array over a SharedArrayBuffer). */
export interface ControlCells {
  /** Slots the main thread has filled, ever (slot = count % slots). */
  readonly published: number;
  /** Slots the worker has hashed and written, ever. */
  readonly consumed: number;
  /** Bumped by the main thread after every publish or stop: what the worker sleeps on. */
  readonly signal: number;
  /** 0 while running, STOP_END once every slot is published, STOP_ABORT to give up. */
  readonly stop: number;
  /** The file descriptor to write to, set before the first slot is published. */
  readonly fd: number;
  /** The first of `slots` cells holding each slot's filled length. */
  readonly lengths: number;
  /** The first of `slots` cells holding where in its slot each slot's bytes start (0-7). */
  readonly starts: number;
}

export const STOP_END = 1;
export const STOP_ABORT = 2;

export interface SlotWorkerData {
  readonly data: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly cells: ControlCells;
  readonly slots: number;
  readonly slotBytes: number;
  readonly stopEnd: number;
  readonly stopAbort: number;
}

/** What the worker posts once, before it exits. */
export type SlotWorkerResult =
  | { readonly kind: 'done'; readonly sha256: string }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'failed'; readonly message: string; readonly code: string | undefined };

/**
 * The worker thread's whole program: hashes and writes each slot the main thread publishes,
 * in order, then posts the digest. It runs from its source text (Function.prototype.toString,
 * evaluated as the worker's script), so it may use only its argument and `require`: no
 * imports, no helpers of this module, and no named inner functions (a transpiler's name
 * helper would not exist in the worker).
 */
export function hashAndWriteSlots(shared: SlotWorkerData): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the worker is a CommonJS script */
  const { createHash } = require('node:crypto') as typeof Crypto;
  const { writeSync } = require('node:fs') as typeof Fs;
  const { parentPort } = require('node:worker_threads') as typeof WorkerThreads;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const control = new Int32Array(shared.control);
  const { cells } = shared;
  const hash = createHash('sha256');
  let consumed = 0;
  let result: SlotWorkerResult = { kind: 'aborted' };
  try {
    for (;;) {
      const signal = Atomics.load(control, cells.signal);
      const stop = Atomics.load(control, cells.stop);
      if (stop === shared.stopAbort) break;
      if (Atomics.load(control, cells.published) === consumed) {
        if (stop === shared.stopEnd) {
          result = { kind: 'done', sha256: hash.digest('hex') };
          break;
        }
        Atomics.wait(control, cells.signal, signal);
        continue;
      }
      const slot = consumed % shared.slots;
      const length = Atomics.load(control, cells.lengths + slot);
      const start = Atomics.load(control, cells.starts + slot);
      const view = new Uint8Array(shared.data, slot * shared.slotBytes + start, length);
      const fd = Atomics.load(control, cells.fd);
      hash.update(view);
      for (let at = 0; at < length;) {
        const written = writeSync(fd, view, at, length - at);
        if (written === 0) throw new Error('writing the model file made no progress');
        at += written;
      }
      consumed++;
      Atomics.store(control, cells.consumed, consumed);
      Atomics.notify(control, cells.consumed);
    }
  } catch (err) {
    const error: NodeJS.ErrnoException = err instanceof Error ? err : new Error(String(err));
    result = { kind: 'failed', message: error.message, code: error.code };
  }
  parentPort?.postMessage(result);
}
