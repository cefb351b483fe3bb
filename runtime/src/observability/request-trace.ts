import type { HrTime, SpanContext } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
} from '@opentelemetry/semantic-conventions';
import { spanTime } from './span-clock.js';
import type { OpenSpan } from './open-span.js';
import { SPAN } from './span-names.js';
import type { SpanRecorder } from './span-recorder.js';

export type StepName = typeof SPAN.decode | typeof SPAN.encode;

/** One step of a request's handler, timed as a child span; end() it when done. */
export interface StepSpan {
  end(): void;
}

/** What the batcher needs of a traced request: its queue wait and its link to the batch. */
export interface BatchMember {
  /** The request's server span: parent of a batch span it starts, else linked from it. */
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

/**
 * A traced request: its server span (open while links and the status arrive) and the spans
 * under it, each recorded already ended when its end is known (span-recorder.ts).
 * Times: span-clock.ts.
 */
export class SpanRequestTrace implements RequestTrace, BatchMember {
  readonly spanContext: SpanContext;
  /** Steps started and not ended yet: a handler has at most two (decode, encode). */
  private readonly open: Step[] = [];
  private finished = false;

  constructor(
    private readonly recorder: SpanRecorder,
    private readonly span: OpenSpan,
  ) {
    this.spanContext = span.context;
  }

  get traceId(): string {
    return this.spanContext.traceId;
  }

  get member(): BatchMember | undefined {
    return this.finished ? undefined : this;
  }

  start(step: StepName): StepSpan {
    if (this.finished) return NO_STEP;
    // No attributes of their own: the model's are on the request span, their parent, and
    // copying them onto every step made each sampled request's export a third larger.
    const child = new Step(this, step, spanTime());
    this.open.push(child);
    return child;
  }

  /** A step's end(): records its span unless finish() already did. */
  ended(step: Step, at: HrTime): void {
    const index = this.open.indexOf(step);
    if (index === -1) return;
    this.open.splice(index, 1);
    this.record(step, at);
  }

  queued(enqueuedAt: number, takenAt: number): void {
    this.recorder.record(SPAN.queue, this.spanContext, spanTime(enqueuedAt), spanTime(takenAt));
  }

  rodeIn(batch: SpanContext): void {
    this.span.addLink({ context: batch });
  }

  finish(status: number, errorType?: string): void {
    if (this.finished) return;
    this.finished = true;
    // A step a failure cut short still shows, ended where the request ended.
    const now = spanTime();
    for (const step of this.open) this.record(step, now);
    this.open.length = 0;
    this.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    const error = errorType ?? (status >= 500 ? String(status) : undefined);
    if (error !== undefined) {
      this.span.setAttribute(ATTR_ERROR_TYPE, error);
      // Server spans mark 5xx as errors, not 4xx (the client's mistake): HTTP conventions.
      this.span.setError();
    }
    this.span.end(now);
  }

  private record(step: Step, end: HrTime): void {
    this.recorder.record(step.name, this.spanContext, step.startTime, end);
  }
}

/** One step under way (a class, not a closure per step: sampled requests make several). */
class Step implements StepSpan {
  constructor(
    private readonly owner: SpanRequestTrace,
    readonly name: StepName,
    readonly startTime: HrTime,
  ) {}

  end(): void {
    this.owner.ended(this, spanTime());
  }
}
