import { SpanKind, type Attributes, type Link, type SpanContext } from '@opentelemetry/api';
import type { BatchMember } from './request-trace.js';
import type { OpenSpan } from './open-span.js';
import { hrtimeToPerformanceMs, type RunTiming } from './run-timing.js';
import { spanTime } from './span-clock.js';
import { ATTR, SPAN } from './span-names.js';
import type { SpanRecorder } from './span-recorder.js';
import type { Tracing } from './tracing.js';

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
 * back to it, as OpenTelemetry's messaging conventions do for batch processing. The model's
 * attributes are on the inference span (and the requests'), not repeated on the batch span
 * between them. The keys and their order are fixed once (templates copied per span).
 */
export function createBatchTracer(
  tracing: Pick<Tracing, 'recorder'>,
  attributes: Attributes,
): BatchTracer {
  const { recorder } = tracing;
  const batchTemplate: Attributes = { [ATTR.batchRequests]: 0, [ATTR.batchRows]: 0 };
  const runTemplate: Attributes = {
    ...attributes,
    [ATTR.inferenceRows]: 0,
    [ATTR.isolationRun]: false,
  };
  return {
    start(members, requests, rows) {
      const first = members[0] as BatchMember;
      const batchAttributes = { ...batchTemplate };
      batchAttributes[ATTR.batchRequests] = requests;
      batchAttributes[ATTR.batchRows] = rows;
      const span = recorder.open(
        SPAN.batch,
        SpanKind.INTERNAL,
        first.spanContext,
        spanTime(),
        batchAttributes,
        // Not to the parent as well: Jaeger then shows the parent only as a link.
        members.length === 1 ? undefined : otherMembers(members),
      );
      const batch = span.context;
      for (const m of members) m.rodeIn(batch);
      return new TracedBatch(recorder, span, runTemplate);
    },
  };
}

function otherMembers(members: readonly BatchMember[]): Link[] {
  const links: Link[] = [];
  for (let i = 1; i < members.length; i++)
    links.push({ context: (members[i] as BatchMember).spanContext });
  return links;
}

/** The batch span (open: its status is known only at the end) and its runs' spans. */
class TracedBatch implements BatchSpan {
  private readonly context: SpanContext;

  constructor(
    private readonly recorder: SpanRecorder,
    private readonly span: OpenSpan,
    private readonly runTemplate: Attributes,
  ) {
    this.context = span.context;
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
    const attributes = { ...this.runTemplate };
    attributes[ATTR.inferenceRows] = rows;
    attributes[ATTR.isolationRun] = isolation;
    // Both times are known: recorded already ended (span-recorder.ts).
    this.recorder.record(SPAN.inference, this.context, startTime, endTime, attributes);
  }

  end(error?: Error): void {
    if (error !== undefined) this.span.setError(error.message);
    this.span.end(spanTime());
  }
}
