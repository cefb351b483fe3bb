import {
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind,
  trace,
  type Context,
  type TextMapGetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { RandomIdGenerator, type IdGenerator, type Sampler } from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';

/** A request's sampling decision, made once when it arrives. */
export type HeadDecision =
  | { readonly sampled: true; readonly parent: Context }
  | { readonly sampled: false; readonly incomingTraceId: string | undefined };

const propagator = new W3CTraceContextPropagator();

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

const NO_ATTRIBUTES = {};
const NO_LINKS: [] = [];

/**
 * Head sampling done by the runtime itself, once per request, before any span exists: the
 * configured sampler (OTEL_TRACES_SAMPLER) sees the caller's context and the trace id, and a
 * request it drops gets no span, context or attribute object at all. The SDK's own sampler,
 * asked again inside tracer.startSpan, would only be reached after the ids, the attributes and
 * a non-recording span were made for the nine in ten requests a 10 % ratio drops.
 *
 * The tracer provider therefore samples nothing itself (AlwaysOnSampler): it records what it
 * is asked to start. A new trace's id is drawn here, so that the ratio samplers decide on the
 * id the trace is exported with; `ids` hands it to the provider for the span that follows.
 */
export class HeadSampler {
  constructor(
    private readonly sampler: Sampler,
    private readonly ids: HeadIdGenerator,
  ) {}

  decide(headers: IncomingHttpHeaders, spanName: string): HeadDecision {
    // Most requests carry no traceparent: skip the propagator's context objects for them.
    const parent =
      headers.traceparent === undefined
        ? ROOT_CONTEXT
        : propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const incomingTraceId = trace.getSpanContext(parent)?.traceId;
    const traceId = incomingTraceId ?? this.ids.newTraceId();
    const { decision } = this.sampler.shouldSample(
      parent,
      traceId,
      spanName,
      SpanKind.SERVER,
      NO_ATTRIBUTES,
      NO_LINKS,
    );
    // RECORD (kept but not exported) is not produced by the OTEL_TRACES_SAMPLER samplers.
    if (decision !== SamplingDecision.RECORD_AND_SAMPLED)
      return { sampled: false, incomingTraceId };
    if (incomingTraceId === undefined) this.ids.useNextTraceId(traceId);
    return { sampled: true, parent };
  }

  /** The configured sampler, as OpenTelemetry describes it (e.g. `TraceIdRatioBased{0.1}`). */
  toString(): string {
    return this.sampler.toString();
  }
}

/**
 * The SDK's random ids, except that the next new trace gets the id head sampling decided on.
 * Single-threaded: useNextTraceId() and the startSpan() that consumes it run back to back.
 */
export class HeadIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  private next: string | undefined;

  /** A random trace id, not handed to the provider unless passed to useNextTraceId(). */
  newTraceId(): string {
    return this.random.generateTraceId();
  }

  useNextTraceId(traceId: string): void {
    this.next = traceId;
  }

  generateTraceId(): string {
    const id = this.next ?? this.random.generateTraceId();
    this.next = undefined;
    return id;
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}
