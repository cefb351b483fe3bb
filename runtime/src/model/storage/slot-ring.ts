import { Worker } from 'node:worker_threads';
import {
  hashAndWriteSlots,
  STOP_ABORT,
  STOP_END,
  type ControlCells,
  type SlotWorkerData,
  type SlotWorkerResult,
} from './slot-worker.js';

/** Bytes per slot: one hash update and one write each. */
export const SLOT_BYTES = 1024 * 1024;
/** Slots in the ring: with the slot being filled, all a download holds of the model. */
export const SLOTS = 4;

const CELLS: ControlCells = {
  published: 0,
  consumed: 1,
  signal: 2,
  stop: 3,
  fd: 4,
  lengths: 5,
  starts: 5 + SLOTS,
};

/**
 * V8 copies into shared memory word by word only when source and target are equally
 * aligned, else byte by byte: 113 ms instead of 19 ms per 200 MiB, and a body's chunks
 * land misaligned after the response headers.
 */
const WORD = 8;
/**
 * Below this, a misaligned rest of a chunk is copied as it is: starting a slot for each
 * small piece (a chunked response's framing shifts every piece) would make many tiny writes.
 */
const MIN_REALIGN_BYTES = 16 * 1024;

/** Atomics.waitAsync (ES2024; Node 16+), which the ES2023 lib does not declare. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * A fixed ring of shared-memory slots between the main thread, which copies a body's
 * chunks in, and a worker thread that hashes and writes each full slot (slot-worker.ts).
 * The sha256 (~150 ms of CPU per 200 MiB) thus runs beside the socket's reads instead of
 * between them, and no per-chunk buffer crosses threads: each socket buffer dies in the
 * main thread as soon as it is copied, and the worker allocates almost nothing.
 * The thread starts with the ring (~30 ms), so a ring is made before the request is sent
 * and given its file once the response is there; whoever makes one closes it.
 */
export class SlotRing {
  private readonly data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly bytes = new Uint8Array(this.data);
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (CELLS.starts + SLOTS)));
  private readonly worker: Worker;
  private attached = false;
  private published = 0;
  /** Where the bytes of the slot being filled start: the alignment of its first chunk. */
  private start = 0;
  private filled = 0;
  /** The worker's one message, or why it ended without one. */
  private readonly result: Promise<SlotWorkerResult>;
  private outcome: SlotWorkerResult | undefined;

  constructor() {
    const shared: SlotWorkerData = {
      data: this.data,
      control: this.control.buffer as SharedArrayBuffer,
      cells: CELLS,
      slots: SLOTS,
      slotBytes: SLOT_BYTES,
      stopEnd: STOP_END,
      stopAbort: STOP_ABORT,
    };
    this.worker = new Worker(
      `(${hashAndWriteSlots.toString()})(require('node:worker_threads').workerData)`,
      {
        eval: true,
        workerData: shared,
        // The parent's --import hooks (tsx) are of no use to this script and cost memory.
        execArgv: [],
      },
    );
    this.result = workerResult(this.worker).then((outcome) => {
      this.outcome = outcome;
      return outcome;
    });
  }

  /** The open file the worker writes the slots to, from its current offset. */
  attach(fd: number): void {
    Atomics.store(this.control, CELLS.fd, fd);
    this.attached = true;
  }

  /**
   * Copies as much of `chunk` as the free slots take; returns what did not fit (empty when
   * all did). Call roomFreed() before copying the rest.
   */
  copyIn(chunk: Uint8Array): Uint8Array {
    if (!this.attached) throw new Error('SlotRing.copyIn before attach: the worker has no file');
    let at = 0;
    while (at < chunk.byteLength && this.hasRoom()) {
      const alignment = (chunk.byteOffset + at) % WORD;
      if (this.filled === 0) this.start = alignment;
      else if (
        (this.start + this.filled) % WORD !== alignment &&
        chunk.byteLength - at >= MIN_REALIGN_BYTES
      ) {
        // A misaligned chunk: the slot so far goes as it is, the chunk starts the next one.
        this.publish();
        continue;
      }
      const offset = this.start + this.filled;
      const n = Math.min(SLOT_BYTES - offset, chunk.byteLength - at);
      this.bytes.set(chunk.subarray(at, at + n), (this.published % SLOTS) * SLOT_BYTES + offset);
      this.filled += n;
      at += n;
      if (this.start + this.filled === SLOT_BYTES) this.publish();
    }
    return chunk.subarray(at);
  }

  /** Settles once the worker has emptied a slot; rejects if it has failed instead. */
  async roomFreed(): Promise<void> {
    const consumed = Atomics.load(this.control, CELLS.consumed);
    if (this.outcome === undefined && this.published - consumed >= SLOTS) {
      const wait = waitAsync(this.control, CELLS.consumed, consumed);
      if (wait.async) await Promise.race([wait.value, this.result]);
    }
    if (this.outcome !== undefined) throw resultError(this.outcome);
  }

  /** Publishes the last, partly filled slot and tells the worker that is all; its digest. */
  async end(): Promise<string> {
    while (this.filled > 0 && !this.hasRoom()) await this.roomFreed();
    if (this.filled > 0) this.publish();
    this.stop(STOP_END);
    const result = await this.result;
    if (result.kind === 'done') return result.sha256;
    throw resultError(result);
  }

  /**
   * Tells the worker to stop after the slot it is writing, unless it has ended; settles once
   * it has stopped. Safe to call at any time and more than once.
   */
  async close(): Promise<void> {
    if (this.outcome === undefined) this.stop(STOP_ABORT);
    await this.result;
  }

  /** Calls `listener` if the worker fails, e.g. a write to the file fails. */
  onFailure(listener: (err: Error) => void): void {
    void this.result.then((result) => {
      if (result.kind === 'failed') listener(resultError(result));
    });
  }

  private hasRoom(): boolean {
    return this.published - Atomics.load(this.control, CELLS.consumed) < SLOTS;
  }

  private publish(): void {
    const slot = this.published % SLOTS;
    Atomics.store(this.control, CELLS.lengths + slot, this.filled);
    Atomics.store(this.control, CELLS.starts + slot, this.start);
    this.published++;
    this.filled = 0;
    Atomics.store(this.control, CELLS.published, this.published);
    this.wake();
  }

  private stop(how: number): void {
    Atomics.store(this.control, CELLS.stop, how);
    this.wake();
  }

  private wake(): void {
    Atomics.add(this.control, CELLS.signal, 1);
    Atomics.notify(this.control, CELLS.signal);
  }
}

/** The worker's message, or a failure if it exited or crashed without one. */
function workerResult(worker: Worker): Promise<SlotWorkerResult> {
  return new Promise<SlotWorkerResult>((resolve) => {
    worker.once('message', (message: SlotWorkerResult) => resolve(message));
    worker.once('error', (err: Error) =>
      resolve({
        kind: 'failed',
        message: `the hashing thread failed: ${err.message}`,
        code: undefined,
      }),
    );
    worker.once('exit', (code) =>
      resolve({
        kind: 'failed',
        message: `the hashing thread exited (code ${code})`,
        code: undefined,
      }),
    );
  });
}

function resultError(result: SlotWorkerResult): Error {
  if (result.kind === 'failed') {
    return Object.assign(
      new Error(result.message),
      result.code !== undefined ? { code: result.code } : {},
    );
  }
  return new Error('the hashing thread stopped before the end of the model');
}
