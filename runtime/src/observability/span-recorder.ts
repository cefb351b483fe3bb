import {
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { FinishedSpan, internalShape, type SpanOrigin, type SpanShape } from './finished-span.js';
import type { RecordedIds } from './head-sampling.js';
import { OpenSpan } from './open-span.js';
import { RecordedSpanContext, TraceIdentity } from './recorded-span-context.js';

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * Makes the runtime's spans (finished-span.ts, open-span.ts) and ends them straight into the
 * span processor, the one the provider was built with. Only sampled requests' spans come
 * here (head-sampling.ts decided), so every one is SAMPLED; a child carries its parent's
 * trace id and trace state, a new trace takes the id head sampling decided on: as the SDK's
 * tracer (AlwaysOnSampler) would. The processor gets onEnd() only: its onStart() would see
 * a span of ours, not the SDK's, and the runtime's processors (batch or simple export) do
 * nothing there.
 */
export class SpanRecorder {
  private readonly origin: SpanOrigin;

  constructor(
    private readonly processor: SpanProcessor,
    private readonly ids: RecordedIds,
    resource: Resource,
    scope: InstrumentationScope,
  ) {
    this.origin = { resource, instrumentationScope: scope };
  }

  /** An internal span, child of `parent`, from `start` to `end`, made already ended. */
  record(
    name: string,
    parent: SpanContext,
    start: HrTime,
    end: HrTime,
    attributes: Attributes = NO_ATTRIBUTES,
  ): void {
    this.emit(name, this.childOf(parent), parent, start, end, internalShape(attributes));
  }

  /** A span under way, child of `parent` or (without one) the root of a new trace. */
  open(
    name: string,
    kind: SpanKind,
    parent: SpanContext | undefined,
    start: HrTime,
    attributes: Attributes,
    links?: Link[],
  ): OpenSpan {
    const context = parent === undefined ? this.newTrace() : this.childOf(parent);
    return new OpenSpan(this, name, kind, context, parent, start, attributes, links);
  }

  /** Hands a finished span to the processor. */
  emit(
    name: string,
    context: SpanContext,
    parent: SpanContext | undefined,
    start: HrTime,
    end: HrTime,
    shape: SpanShape,
  ): void {
    this.processor.onEnd(new FinishedSpan(name, context, parent, start, end, shape, this.origin));
  }

  private childOf(parent: SpanContext): SpanContext {
    // A caller's trace id is parsed once, for the server span; its children share the bytes.
    const trace =
      parent instanceof RecordedSpanContext ? parent.trace : TraceIdentity.fromHex(parent.traceId);
    return this.ids.newSpan(trace, parent.traceState);
  }

  private newTrace(): SpanContext {
    return this.ids.newSpan(this.ids.newTrace(), undefined);
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
