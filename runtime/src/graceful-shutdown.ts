import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RuntimeState } from './runtime-state.js';

/** Waits `ms`; injectable so a test can end the shutdown delay when it chooses. */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ShutdownParts {
  readonly app: FastifyInstance;
  readonly state: RuntimeState;
  readonly logger: Logger;
  readonly delayMs: number;
  readonly sleep: Sleep;
  /** Listeners beside the HTTP one (gRPC): they stop accepting and drain with it. */
  readonly otherListeners?: readonly { close(): Promise<void> }[];
}

/**
 * Not ready at once; keep accepting and serving for `delayMs` while Kubernetes withdraws the
 * pod's endpoints (kube-proxy and clients go on opening connections to it for a few seconds,
 * and closing the listener now would reset them); then stop accepting, answer everything
 * accepted (queued batches leave without waiting for the batch delay) and release the model.
 */
export async function shutdownGracefully(parts: ShutdownParts): Promise<void> {
  const { app, state, logger } = parts;
  // A replica that never became ready was never an endpoint: nobody is still being sent here.
  const wasServing = state.phase === 'ready';
  state.markDraining();
  if (wasServing && parts.delayMs > 0) {
    await parts.sleep(parts.delayMs);
    logger.info(
      { delayMs: parts.delayMs },
      'shutdown delay over; no longer accepting connections; finishing accepted work',
    );
  }
  const closed = Promise.all([
    app.close(),
    ...(parts.otherListeners ?? []).map((listener) => listener.close()),
  ]);
  state.serving?.batcher.flush();
  await closed;
  const serving = state.serving;
  if (serving !== undefined) {
    serving.batcher.close();
    await serving.batcher.whenIdle();
    await serving.model.release();
  }
}

/** What a shutdown deadline cuts short. */
export interface PendingWork {
  /** Inference requests received and not answered. */
  readonly inflight: number;
  /** Of those, waiting in the batcher. */
  readonly queued: number;
  /** Batches handed to the model and not finished. */
  readonly running: number;
}

export function describePendingWork(work: PendingWork): string {
  const requests = `${work.inflight} request${work.inflight === 1 ? '' : 's'} in flight`;
  const batches = `${work.running} batch${work.running === 1 ? '' : 'es'} running`;
  return `${requests} (${work.queued} queued, ${batches})`;
}

/**
 * The hard deadline: drop every connection (their requests cannot be answered any more) and
 * let the model start nothing new; resolves once no onnxruntime run is in progress, after
 * which the process can exit without onnxruntime aborting it.
 */
export async function abandonWork(app: FastifyInstance, state: RuntimeState): Promise<void> {
  app.server.closeAllConnections();
  await state.serving?.model.abandon();
}
