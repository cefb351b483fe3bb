/**
 * The session worker: one onnxruntime session in its own thread (see worker-session.ts for
 * the side the runtime talks to). onnxruntime-node runs session.run synchronously on the
 * JavaScript thread that calls it; here that thread is this worker, so the runtime's main
 * thread keeps parsing requests and writing answers while a batch computes.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import { signatureFrom, type ModelSignature } from './metadata.js';
import type { Ort } from './onnxruntime.js';
import { openSession, runSession } from './session.js';
import {
  StopReason,
  type FromWorker,
  type RunRequest,
  type SessionWorkerData,
  type ToWorker,
} from './session-worker-messages.js';
import { copiedTensors, tensorsForTransfer } from './tensor-transfer.js';

if (isMainThread || parentPort === null) {
  throw new Error('session-worker is started by worker-session.ts as a worker thread');
}
const port = parentPort;
const { path, settings, abandoned, running, cancelled } = workerData as SessionWorkerData;
const abandonedFlag = new Int32Array(abandoned);
const runningFlag = new Int32Array(running);
const cancelledRuns = new Int32Array(cancelled);

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

const notRunBecause: Record<number, string> = {
  [StopReason.shutdownDeadline]: 'not run: the runtime is exiting (SHUTDOWN_GRACE_MS passed)',
  [StopReason.stopping]: 'not run: the model session is being stopped',
};

/**
 * Marks the worker running before it looks at the stop flag, while the runtime sets the
 * stop flag before it looks at this one (both sequentially consistent): so either the run
 * sees the stop and does not start, or the runtime sees it running and waits.
 */
async function run(
  ort: Ort,
  session: InferenceSession,
  signature: ModelSignature,
  request: RunRequest,
): Promise<void> {
  Atomics.store(runningFlag, 0, 1);
  try {
    await runUnlessStopped(ort, session, signature, request);
  } finally {
    Atomics.store(runningFlag, 0, 0);
  }
}

async function runUnlessStopped(
  ort: Ort,
  session: InferenceSession,
  signature: ModelSignature,
  request: RunRequest,
): Promise<void> {
  const stop = Atomics.load(abandonedFlag, 0);
  if (stop !== StopReason.none) {
    send({ kind: 'run-failed', id: request.id, message: notRunBecause[stop] ?? 'not run' });
    return;
  }
  if (Atomics.load(cancelledRuns, request.id % cancelledRuns.length) === request.id) {
    const message = 'not run: every request of this batch timed out or hung up before it started';
    send({ kind: 'run-failed', id: request.id, message });
    return;
  }
  let outputs;
  const startedNs = process.hrtime.bigint();
  try {
    outputs = await runSession(ort, session, signature, request.feeds, request.outputNames);
  } catch (err) {
    const timing = { startedNs, endedNs: process.hrtime.bigint() };
    send({ kind: 'run-failed', id: request.id, message: (err as Error).message, timing });
    return;
  }
  const timing = { startedNs, endedNs: process.hrtime.bigint() };
  // onnxruntime allocates each output in its own ArrayBuffer, so these move without a copy.
  const transfer: ArrayBuffer[] = [];
  const movable = tensorsForTransfer(outputs, transfer);
  try {
    send({ kind: 'result', id: request.id, outputs: movable, timing }, transfer);
  } catch {
    send({ kind: 'result', id: request.id, outputs: copiedTensors(outputs), timing });
  }
}

async function start(): Promise<void> {
  let opened;
  try {
    opened = await openSession(path, settings);
  } catch (err) {
    send({ kind: 'open-failed', message: (err as Error).message });
    port.close();
    return;
  }
  const { ort, session } = opened;
  const signature = signatureFrom(session.inputMetadata, session.outputMetadata);
  // Runs are answered in order: each message waits until the previous run has finished.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: ToWorker) => {
    if (message.kind === 'run') {
      queue = queue.then(() => run(ort, session, signature, message));
    } else {
      queue = queue.then(async () => {
        try {
          await session.release();
        } finally {
          // With its port closed the worker has nothing left to do and exits with code 0.
          port.close();
        }
      });
    }
  });
  send({ kind: 'opened', inputs: session.inputMetadata, outputs: session.outputMetadata });
}

void start();
