import {
  ROOT_CONTEXT,
  SamplingDecision,
  SpanKind,
  trace,
  type Context,
  type TextMapGetter,
  type TraceState,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { IdGenerator, Sampler } from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';
import { RandomIds } from './random-ids.js';
import { RecordedSpanContext, TraceIdentity } from './recorded-span-context.js';

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
 * configured sampler (OTEL_TRACES_SAMPLER) decides, and a request it drops gets no span,
 * context or attribute object at all. The SDK's own sampler, asked again inside
 * tracer.startSpan, would only be reached after the ids, the attributes and a non-recording
 * span were made for the nine in ten requests a 10 % ratio drops.
 *
 * A request that starts a trace (most: no traceparent) is decided on its new trace id's
 * random bits, by `rootBound` (root-sampling.ts), before the id is a string; one that
 * continues a caller's trace goes through the configured sampler with the caller's context.
 * The tracer provider samples nothing itself (AlwaysOnSampler): it records what it is asked
 * to start, and `ids` hands it the trace id head sampling decided on.
 */
export class HeadSampler {
  constructor(
    private readonly sampler: Sampler,
    private readonly rootBound: number,
    private readonly ids: HeadIdGenerator,
  ) {}

  decide(headers: IncomingHttpHeaders, spanName: string): HeadDecision {
    if (headers.traceparent === undefined) return this.decideRoot();
    const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const incomingTraceId = trace.getSpanContext(parent)?.traceId;
    // A traceparent that does not parse starts a new trace, as the W3C asks.
    if (incomingTraceId === undefined) return this.decideRoot();
    const { decision } = this.sampler.shouldSample(
      parent,
      incomingTraceId,
      spanName,
      SpanKind.SERVER,
      NO_ATTRIBUTES,
      NO_LINKS,
    );
    // RECORD (kept but not exported) is not produced by the OTEL_TRACES_SAMPLER samplers.
    return decision === SamplingDecision.RECORD_AND_SAMPLED
      ? { sampled: true, parent }
      : { sampled: false, incomingTraceId };
  }

  private decideRoot(): HeadDecision {
    if (this.ids.drawTrace() >= this.rootBound) return NOT_SAMPLED_ROOT;
    this.ids.useDrawnTrace();
    return SAMPLED_ROOT;
  }

  /** The configured sampler, as OpenTelemetry describes it (e.g. `TraceIdRatioBased{0.1}`). */
  toString(): string {
    return this.sampler.toString();
  }
}

const NOT_SAMPLED_ROOT: HeadDecision = { sampled: false, incomingTraceId: undefined };
const SAMPLED_ROOT: HeadDecision = { sampled: true, parent: ROOT_CONTEXT };

/** What the span recorder draws its ids from (span-recorder.ts). */
export interface RecordedIds {
  /** The trace a new root span starts: the one head sampling decided on, else a new one. */
  newTrace(): TraceIdentity;
  /** A new span's context in `trace`. */
  newSpan(trace: TraceIdentity, traceState: TraceState | undefined): RecordedSpanContext;
}

/**
 * Ids from RandomIds (random-ids.ts), except that the next new trace gets the id head
 * sampling decided on. Single-threaded: useDrawnTrace() and the span start that consumes it
 * run back to back. The recorder's spans take their ids as bytes (RecordedIds); the SDK's
 * provider, for spans of other code, takes hex (IdGenerator).
 */
export class HeadIdGenerator implements IdGenerator, RecordedIds {
  private readonly random = new RandomIds();
  private next: TraceIdentity | undefined;

  /** Draws a trace id, not handed out unless useDrawnTrace() follows; its XOR. */
  drawTrace(): number {
    return this.random.drawTrace();
  }

  useDrawnTrace(): void {
    this.next = new TraceIdentity(this.random.traceBytes());
  }

  newTrace(): TraceIdentity {
    const next = this.next;
    if (next !== undefined) {
      this.next = undefined;
      return next;
    }
    this.random.drawTrace();
    return new TraceIdentity(this.random.traceBytes());
  }

  newSpan(trace: TraceIdentity, traceState: TraceState | undefined): RecordedSpanContext {
    this.random.drawSpan();
    return new RecordedSpanContext(trace, this.random.spanHigh, this.random.spanLow, traceState);
  }

  generateTraceId(): string {
    return this.newTrace().id;
  }

  generateSpanId(): string {
    return this.random.spanHex();
  }
}
