import {
  SpanStatusCode,
  type AttributeValue,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
} from '@opentelemetry/api';
import { EMPTY_LINKS, UNSET_STATUS } from './finished-span.js';
import type { SpanRecorder } from './span-recorder.js';

/**
 * A span of ours still under way (a request's server span, a batch span): its context is
 * fixed when it starts, so children and links can point at it; links, attributes and an
 * error status gather until end() hands it to the recorder as a finished span. Only the
 * runtime's own code touches it, so it keeps what it is given without the SDK's checks.
 */
export class OpenSpan {
  private links: Link[];
  private status: SpanStatus = UNSET_STATUS;
  private ended = false;

  constructor(
    private readonly recorder: SpanRecorder,
    private readonly name: string,
    private readonly kind: SpanKind,
    readonly context: SpanContext,
    private readonly parent: SpanContext | undefined,
    private readonly startTime: HrTime,
    private readonly attributes: Attributes,
    links: Link[] = EMPTY_LINKS,
  ) {
    this.links = links;
  }

  addLink(link: Link): void {
    // The shared empty list is never written to: a span's first link makes its own list.
    if (this.links === EMPTY_LINKS) this.links = [link];
    else this.links.push(link);
  }

  setAttribute(key: string, value: AttributeValue): void {
    this.attributes[key] = value;
  }

  setError(message?: string): void {
    this.status =
      message === undefined
        ? { code: SpanStatusCode.ERROR }
        : { code: SpanStatusCode.ERROR, message };
  }

  /** Hands the span to the processor, once; later calls do nothing. */
  end(endTime: HrTime): void {
    if (this.ended) return;
    this.ended = true;
    this.recorder.emit(this.name, this.context, this.parent, this.startTime, endTime, {
      kind: this.kind,
      attributes: this.attributes,
      links: this.links,
      status: this.status,
    });
  }
}
