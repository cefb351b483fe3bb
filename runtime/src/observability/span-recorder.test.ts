import {
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Attributes,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { tracerScope } from './span-recorder.js';
import { tracingFrom, type Tracing } from './tracing.js';

const PARENT: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: new TraceState('vendor=value'),
};
const START: HrTime = [1_700_000_000, 120_000_000];
const END: HrTime = [1_700_000_001, 5_000_000];

function traced(): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { tracing: tracingFrom(new SimpleSpanProcessor({ exporter }), '0.1.0'), exporter };
}

/** The same span made by the SDK's tracer: started with its times and attributes, ended. */
function sdkSpan(tracing: Tracing, attributes?: Attributes, end: HrTime = END): void {
  const parent = trace.setSpanContext(ROOT_CONTEXT, PARENT);
  const options =
    attributes === undefined ? { startTime: START } : { startTime: START, attributes };
  tracing.tracer.startSpan('queue', options, parent).end(end);
}

/** Everything an exporter reads of a span but its own span id. */
function exported(span: ReadableSpan): Record<string, unknown> {
  const { traceId, traceFlags, traceState } = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    traceId,
    traceFlags,
    traceState: traceState?.serialize(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    status: span.status,
    attributes: span.attributes,
    links: span.links,
    events: span.events,
    ended: span.ended,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

function recordedAndSdk(exporter: InMemorySpanExporter): [ReadableSpan, ReadableSpan] {
  const [recorded, sdk] = exporter.getFinishedSpans();
  if (recorded === undefined || sdk === undefined) throw new Error('expected two exported spans');
  return [recorded, sdk];
}

describe('SpanRecorder', () => {
  it('hands the processor an ended span the exporter reads as the SDK tracer would have made it', () => {
    const { tracing, exporter } = traced();
    const attributes = {
      'modeldeploy.inference.rows': 3,
      'modeldeploy.inference.isolation': false,
    };
    tracing.recorder.record('queue', PARENT, START, END, { ...attributes });
    sdkSpan(tracing, { ...attributes });
    const [recorded, sdk] = recordedAndSdk(exporter);
    expect(exported(recorded)).toEqual(exported(sdk));
    expect(exported(recorded)).toMatchObject({
      traceId: PARENT.traceId,
      traceFlags: TraceFlags.SAMPLED,
      traceState: 'vendor=value',
      parentSpanContext: PARENT,
      duration: [0, 885_000_000],
      ended: true,
    });
    expect(recorded.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(recorded.spanContext().spanId).not.toBe(sdk.spanContext().spanId);
  });

  it('shares the resource and scope objects of the SDK spans (OTLP protobuf groups by identity)', () => {
    const { tracing, exporter } = traced();
    tracing.recorder.record('decode', PARENT, START, END);
    sdkSpan(tracing);
    const [recorded, sdk] = recordedAndSdk(exporter);
    expect(recorded.resource).toBe(sdk.resource);
    expect(recorded.instrumentationScope).toBe(sdk.instrumentationScope);
    expect(recorded.instrumentationScope).toMatchObject({
      name: 'modeldeploy-runtime',
      version: '0.1.0',
    });
    expect(recorded.attributes).toEqual({});
  });

  it('makes an end before the start a zero-length span, as the SDK does', () => {
    const { tracing, exporter } = traced();
    tracing.recorder.record('queue', PARENT, END, START);
    const [recorded] = exporter.getFinishedSpans();
    expect(recorded?.startTime).toEqual(END);
    expect(recorded?.endTime).toEqual(END);
    expect(recorded?.duration).toEqual([0, 0]);
  });
});

describe('tracerScope', () => {
  it('falls back to the given scope for a tracer that is not the SDK one', () => {
    const fallback = { name: 'modeldeploy-runtime', version: '0.1.0' };
    expect(tracerScope(trace.getTracer('any'), fallback)).toBe(fallback);
  });
});
