import { HttpError } from './errors.js';
import type { ServingContext } from './serving-context.js';

export type Phase = 'loading' | 'ready' | 'draining' | 'failed';

/** Where this process is in its life: loading → ready → draining (or failed). */
export class RuntimeState {
  private current: Phase = 'loading';
  private context: ServingContext | undefined;
  private failure: string | undefined;

  constructor(
    readonly modelName: string,
    readonly modelVersion: string,
  ) {}

  get phase(): Phase {
    return this.current;
  }

  get ready(): boolean {
    return this.current === 'ready';
  }

  /** Liveness: false once the model failed, which a restart of the process may fix. */
  get live(): boolean {
    return this.current !== 'failed';
  }

  get serving(): ServingContext | undefined {
    return this.context;
  }

  /**
   * The context, or 503 while loading or after a failed load. While draining, requests the
   * server already accepted are still served (the server stops accepting new ones).
   */
  requireServing(): ServingContext {
    if ((this.current === 'ready' || this.current === 'draining') && this.context !== undefined)
      return this.context;
    throw new HttpError(503, this.notReadyReason(), { 'retry-after': '1' });
  }

  /** The model metadata is available once loaded, also while draining. */
  requireModel(): ServingContext {
    if (this.context !== undefined) return this.context;
    throw new HttpError(503, this.notReadyReason(), { 'retry-after': '1' });
  }

  notReadyReason(): string {
    switch (this.current) {
      case 'loading':
        return `model '${this.modelName}' version '${this.modelVersion}' is loading`;
      case 'draining':
        return 'server is shutting down; retry on another replica';
      case 'failed':
        return this.failure ?? 'model failed';
      default:
        return 'ready';
    }
  }

  markReady(context: ServingContext): void {
    this.context = context;
    if (this.current === 'loading') this.current = 'ready';
  }

  /** A failed model stays failed while shutting down: nothing could serve it any more. */
  markDraining(): void {
    if (this.current !== 'failed') this.current = 'draining';
  }

  /** `reason` is the whole sentence /ready and 503 answers show, e.g. "model failed to load: …". */
  markFailed(reason: string): void {
    this.current = 'failed';
    this.failure = reason;
  }
}
