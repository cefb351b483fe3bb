import type { InferenceSession } from 'onnxruntime-node';
import type { HostTensor } from '../tensor/host-tensor.js';
import type { SessionSettings } from './session.js';

/**
 * The messages between the runtime's JavaScript thread and its session worker
 * (session-worker.ts). Everything here must survive structured cloning: plain data and
 * typed arrays only, which is why the worker sends onnxruntime's raw value metadata and
 * not a ModelSignature (that carries functions).
 */

/** Given to the worker at spawn time. */
export interface SessionWorkerData {
  readonly path: string;
  readonly settings: SessionSettings;
  /**
   * One Int32 that the runtime sets to 1 at the shutdown deadline; the worker then starts no
   * further run. Shared memory, because a message would only be read after the queued runs.
   */
  readonly abandoned: SharedArrayBuffer;
  /**
   * Int32 slots: slot `id % length` holds a run id the runtime cancelled (every request of
   * its batch timed out or hung up); the worker skips that run if it has not started it.
   */
  readonly cancelled: SharedArrayBuffer;
}

export interface RunRequest {
  readonly kind: 'run';
  readonly id: number;
  readonly feeds: Readonly<Record<string, HostTensor>>;
  readonly outputNames: readonly string[] | undefined;
}

/** Releases the session and lets the worker thread end. */
export interface ReleaseRequest {
  readonly kind: 'release';
}

export type ToWorker = RunRequest | ReleaseRequest;

export interface SessionOpened {
  readonly kind: 'opened';
  readonly inputs: readonly InferenceSession.ValueMetadata[];
  readonly outputs: readonly InferenceSession.ValueMetadata[];
}

export interface SessionOpenFailed {
  readonly kind: 'open-failed';
  readonly message: string;
}

export interface RunResult {
  readonly kind: 'result';
  readonly id: number;
  readonly outputs: Readonly<Record<string, HostTensor>>;
}

export interface RunFailed {
  readonly kind: 'run-failed';
  readonly id: number;
  readonly message: string;
}

export type FromWorker = SessionOpened | SessionOpenFailed | RunResult | RunFailed;
