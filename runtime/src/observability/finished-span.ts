import {
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanStatus,
} from '@opentelemetry/api';
import { hrTimeDuration, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];

/** Where a finished span belongs: the provider's resource and the tracer's scope. */
export interface SpanOrigin {
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
}

/** What a finished span says beyond its name, context and times. */
export interface SpanShape {
  readonly kind: SpanKind;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly status: SpanStatus;
}

/** An internal span with status unset and no links: the queue, inference and step spans. */
export function internalShape(attributes: Attributes): SpanShape {
  return { kind: SpanKind.INTERNAL, attributes, links: NO_LINKS, status: UNSET };
}

export const UNSET_STATUS = UNSET;
export const EMPTY_LINKS = NO_LINKS;

/**
 * A span handed to the span processor already ended: what the SDK's SpanImpl shows the
 * processor and exporter once ended (ReadableSpan), without what a live SDK span needs: no
 * attribute validation and copy (our attributes are our own fresh objects of strings,
 * numbers and booleans), no context lookups, no self-metrics. No events: the runtime
 * records none.
 */
export class FinishedSpan implements ReadableSpan {
  readonly kind: SpanKind;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly endTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;

  constructor(
    readonly name: string,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    readonly startTime: HrTime,
    endTime: HrTime,
    shape: SpanShape,
    origin: SpanOrigin,
  ) {
    // An end before the start becomes a zero-length span, as the SDK's end() does.
    this.endTime = isBefore(endTime, startTime) ? startTime : endTime;
    this.kind = shape.kind;
    this.status = shape.status;
    this.attributes = shape.attributes;
    this.links = shape.links;
    this.resource = origin.resource;
    this.instrumentationScope = origin.instrumentationScope;
  }

  spanContext(): SpanContext {
    return this.context;
  }

  /** Computed when read: exporters of OTLP send the two times, not this. */
  get duration(): HrTime {
    return hrTimeDuration(this.startTime, this.endTime);
  }
}

function isBefore(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
