import type { InferenceSession } from 'onnxruntime-node';
import type { RunTiming } from '../observability/run-timing.js';
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
   * One Int32 holding a StopReason code that the runtime sets when no further run may start
   * (0 while runs may start). Shared memory, because a message would only be read after the
   * queued runs.
   */
  readonly abandoned: SharedArrayBuffer;
  /**
   * One Int32 the worker holds at 1 from the moment it decides to start a run until that
   * run's answer is posted. Terminating a worker inside onnxruntime's native run aborts the
   * whole process (the addon throws a C++ exception into a dying environment), so the
   * runtime terminates the worker only while this reads 0.
   */
  readonly running: SharedArrayBuffer;
  /**
   * Int32 slots: slot `id % length` holds a run id the runtime cancelled (every request of
   * its batch timed out or hung up); the worker skips that run if it has not started it.
   */
  readonly cancelled: SharedArrayBuffer;
}

/** Why the worker must start no further run; the value stored in `abandoned`. */
export const StopReason = { none: 0, shutdownDeadline: 1, stopping: 2 } as const;

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
  /** When session.run ran in the worker, for the inference span. */
  readonly timing: RunTiming;
}

export interface RunFailed {
  readonly kind: 'run-failed';
  readonly id: number;
  readonly message: string;
  /** Set when session.run was called (and failed); absent when the run was not started. */
  readonly timing?: RunTiming;
}

export type FromWorker = SessionOpened | SessionOpenFailed | RunResult | RunFailed;
