import {
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import { spanTime } from './span-clock.js';
import { SPAN } from './span-names.js';

export type StepName = typeof SPAN.decode | typeof SPAN.encode;

/** One step of a request's handler, timed as a child span; end() it when done. */
export interface StepSpan {
  end(): void;
}

/** What the batcher needs of a traced request: its queue wait and its link to the batch. */
export interface BatchMember {
  /** The request's server span, parent of a batch span it starts. */
  readonly context: Context;
  readonly spanContext: SpanContext;
  /** The request waited in the queue between these performance.now() times. */
  queued(enqueuedAt: number, takenAt: number): void;
  /** The request rode in this batch (a link, since a batch serves several traces). */
  rodeIn(batch: SpanContext): void;
}

/** A request's tracing as the handlers see it; NO_TRACE when tracing is off. */
export interface RequestTrace {
  /** For log lines: the trace's id when sampled, a caller's W3C trace id when not, else undefined. */
  readonly traceId: string | undefined;
  start(step: StepName): StepSpan;
  /** Undefined unless this request is sampled. */
  readonly member: BatchMember | undefined;
  /** Ends the server span with the response status (idempotent). */
  finish(status: number, errorType?: string): void;
}

const NO_STEP: StepSpan = { end: () => {} };

/** Tracing off, or a request not sampled that came without a traceparent: one shared object. */
export const NO_TRACE: RequestTrace = {
  traceId: undefined,
  start: () => NO_STEP,
  member: undefined,
  finish: () => {},
};

/**
 * A request not sampled whose caller sent a W3C traceparent: no span, but its log lines and
 * payload record still carry the caller's trace id, which the caller's own spans are under.
 */
export class CallerTrace implements RequestTrace {
  readonly member = undefined;

  constructor(readonly traceId: string) {}

  start(): StepSpan {
    return NO_STEP;
  }

  finish(): void {}
}

/** A traced request: its server span and the step spans opened under it (times: span-clock.ts). */
export class SpanRequestTrace implements RequestTrace, BatchMember {
  readonly context: Context;
  /** Steps started and not ended yet: a handler has at most two (decode, encode). */
  private readonly open: Step[] = [];
  /** Once ended; from the start for a span the provider does not record (nothing to add). */
  private finished: boolean;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    parent: Context,
  ) {
    this.context = trace.setSpan(parent, span);
    this.finished = !span.isRecording();
  }

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanContext(): SpanContext {
    return this.span.spanContext();
  }

  get member(): BatchMember | undefined {
    return this.finished ? undefined : this;
  }

  start(step: StepName): StepSpan {
    if (this.finished) return NO_STEP;
    // No attributes of their own: the model's are on the request span, their parent, and
    // copying them onto every step made each sampled request's export a third larger.
    const child = new Step(
      this,
      this.tracer.startSpan(step, { startTime: spanTime() }, this.context),
    );
    this.open.push(child);
    return child;
  }

  /** A step's end(): ends its span unless finish() already did. */
  ended(step: Step): boolean {
    const at = this.open.indexOf(step);
    if (at === -1) return false;
    this.open.splice(at, 1);
    return true;
  }

  queued(enqueuedAt: number, takenAt: number): void {
    const options = { startTime: spanTime(enqueuedAt) };
    this.tracer.startSpan(SPAN.queue, options, this.context).end(spanTime(takenAt));
  }

  rodeIn(batch: SpanContext): void {
    this.span.addLink({ context: batch });
  }

  finish(status: number, errorType?: string): void {
    if (this.finished) return;
    this.finished = true;
    // A step a failure cut short still shows, ended where the request ended.
    const now = spanTime();
    for (const step of this.open) step.span.end(now);
    this.open.length = 0;
    this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    const error = errorType ?? (status >= 500 ? String(status) : undefined);
    if (error !== undefined) {
      this.span.setAttribute(ATTR_ERROR_TYPE, error);
      // Server spans mark 5xx as errors, not 4xx (the client's mistake): HTTP conventions.
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.end(spanTime());
  }
}

/** One step's span (a class, not a closure per step: sampled requests make several). */
class Step implements StepSpan {
  constructor(
    private readonly owner: SpanRequestTrace,
    readonly span: Span,
  ) {}

  end(): void {
    if (this.owner.ended(this)) this.span.end(spanTime());
  }
}
