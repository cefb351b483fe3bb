import {
  TraceFlags,
  type Attributes,
  type HrTime,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { IdGenerator, SpanProcessor } from '@opentelemetry/sdk-trace';
import { FinishedSpan, type SpanOrigin } from './finished-span.js';

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * Records spans whose start and end are known when they are made (finished-span.ts),
 * straight into the span processor that the provider's own spans end in. Only sampled
 * requests' spans come here (head-sampling.ts decided), so every one is SAMPLED, and it
 * carries its parent's trace id and trace state, as the SDK's tracer would give it. The
 * processor gets onEnd() only: its onStart() would see a span already ended, and the
 * runtime's processors (batch or simple export) do nothing there.
 */
export class SpanRecorder {
  private readonly origin: SpanOrigin;

  constructor(
    private readonly processor: SpanProcessor,
    private readonly ids: IdGenerator,
    resource: Resource,
    scope: InstrumentationScope,
  ) {
    this.origin = { resource, instrumentationScope: scope };
  }

  /** An internal span, child of `parent`, from `start` to `end`. */
  record(
    name: string,
    parent: SpanContext,
    start: HrTime,
    end: HrTime,
    attributes: Attributes = NO_ATTRIBUTES,
  ): void {
    const context: SpanContext = {
      traceId: parent.traceId,
      spanId: this.ids.generateSpanId(),
      traceFlags: TraceFlags.SAMPLED,
      traceState: parent.traceState,
    };
    this.processor.onEnd(
      new FinishedSpan(name, context, parent, start, end, attributes, this.origin),
    );
  }
}

/**
 * The scope object the SDK's tracer puts on its spans, so that ours share it: the OTLP
 * protobuf serializer groups a resource's spans by the scope object's identity, and a copy
 * would split one export into two ScopeSpans of the same name. The SDK's Tracer class holds
 * it in a public field its published types leave out; a tracer without one (not the SDK's)
 * gets `fallback`.
 */
export function tracerScope(tracer: Tracer, fallback: InstrumentationScope): InstrumentationScope {
  const scope: unknown = (tracer as { instrumentationScope?: unknown }).instrumentationScope;
  return isScope(scope) ? scope : fallback;
}

function isScope(value: unknown): value is InstrumentationScope {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string'
  );
}
