import {
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { BatchMember } from './request-trace.js';
import { hrtimeToPerformanceMs, type RunTiming } from './run-timing.js';
import { spanTime } from './span-clock.js';
import { ATTR, SPAN } from './span-names.js';

/** The spans of one batch: itself, and each session run made for it. */
export interface BatchSpan {
  /**
   * One session run: `timing` as measured where it ran (the worker thread or this one);
   * without it, the span covers [calledAt, answeredAt] (performance.now() times).
   */
  inference(
    timing: RunTiming | undefined,
    calledAt: number,
    answeredAt: number,
    rows: number,
    isolation: boolean,
  ): void;
  end(error?: Error): void;
}

export interface BatchTracer {
  /** `members`: the sampled requests of the batch, at least one. */
  start(members: readonly BatchMember[], requests: number, rows: number): BatchSpan;
}

/**
 * A batch serves several traces: its span is a child of the first sampled request (so that
 * trace shows the run in place), links to the other sampled requests, and every one links
 * back to it, as OpenTelemetry's messaging conventions do for batch processing.
 */
export function createBatchTracer(tracer: Tracer, attributes: Attributes): BatchTracer {
  return {
    start(members, requests, rows) {
      const first = members[0] as BatchMember;
      const span = tracer.startSpan(
        SPAN.batch,
        {
          attributes: { ...attributes, [ATTR.batchRequests]: requests, [ATTR.batchRows]: rows },
          // Not to the parent as well: Jaeger then shows the parent only as a link.
          links: members.slice(1).map((m) => ({ context: m.spanContext })),
          startTime: spanTime(),
        },
        first.context,
      );
      for (const m of members) m.rodeIn(span.spanContext());
      return new TracedBatch(tracer, span, attributes);
    },
  };
}

class TracedBatch implements BatchSpan {
  private readonly context: Context;

  constructor(
    private readonly tracer: Tracer,
    private readonly span: Span,
    private readonly attributes: Attributes,
  ) {
    this.context = trace.setSpan(ROOT_CONTEXT, span);
  }

  inference(
    timing: RunTiming | undefined,
    calledAt: number,
    answeredAt: number,
    rows: number,
    isolation: boolean,
  ): void {
    const startTime = spanTime(
      timing === undefined ? calledAt : hrtimeToPerformanceMs(timing.startedNs),
    );
    const endTime = spanTime(
      timing === undefined ? answeredAt : hrtimeToPerformanceMs(timing.endedNs),
    );
    const attributes = {
      ...this.attributes,
      [ATTR.inferenceRows]: rows,
      [ATTR.isolationRun]: isolation,
    };
    this.tracer.startSpan(SPAN.inference, { attributes, startTime }, this.context).end(endTime);
  }

  end(error?: Error): void {
    if (error !== undefined)
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    this.span.end(spanTime());
  }
}
