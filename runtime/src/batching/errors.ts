import { HttpError } from '../errors.js';

/** The queue is at BATCH_MAX_QUEUE: the client should retry soon, ideally on another replica. */
export class QueueFullError extends HttpError {
  constructor(maxQueue: number) {
    super(
      503,
      `server busy: ${maxQueue} requests already queued (BATCH_MAX_QUEUE); retry shortly`,
      {
        'retry-after': '1',
      },
    );
  }
}

export class RequestTimeoutError extends HttpError {
  constructor(timeoutMs: number, stage: 'queued' | 'running') {
    super(504, `request timed out after ${timeoutMs} ms while ${stage} (REQUEST_TIMEOUT_MS)`);
  }
}

/** The client hung up before its answer; nobody reads this, it ends the handler. */
export class ClientGoneError extends HttpError {
  constructor() {
    super(499, 'the client closed the connection before its answer; the request was not computed');
  }
}

export class ShuttingDownError extends HttpError {
  constructor() {
    super(503, 'server is shutting down; retry on another replica', { 'retry-after': '1' });
  }
}

/** session.run failed for the batch this request was in; other batches are not affected. */
export class InferenceError extends HttpError {
  constructor(message: string) {
    super(500, `inference failed: ${message}`);
  }
}
