import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
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

const CALLER: SpanContext = { ...PARENT, isRemote: true };
const LINKED: SpanContext = { ...PARENT, spanId: 'b7ad6b7169203331' };

describe('SpanRecorder.open (server and batch spans)', () => {
  it('ends a server span of a caller trace as the SDK would: link, attributes and error status added while open', () => {
    const { tracing, exporter } = traced();
    const open = tracing.recorder.open(
      'POST /v2/models/:name/infer',
      SpanKind.SERVER,
      CALLER,
      START,
      {
        'http.request.method': 'POST',
      },
    );
    open.addLink({ context: LINKED });
    open.setAttribute('http.response.status_code', 500);
    open.setError();
    open.end(END);
    open.end(START); // a second end() is ignored, as the SDK's
    const sdk = tracing.tracer.startSpan(
      'POST /v2/models/:name/infer',
      { kind: SpanKind.SERVER, startTime: START, attributes: { 'http.request.method': 'POST' } },
      trace.setSpanContext(ROOT_CONTEXT, CALLER),
    );
    sdk.addLink({ context: LINKED });
    sdk.setAttribute('http.response.status_code', 500);
    sdk.setStatus({ code: SpanStatusCode.ERROR });
    sdk.end(END);
    const [recorded, made] = recordedAndSdk(exporter);
    expect(exported(recorded)).toEqual(exported(made));
    expect(exported(recorded)).toMatchObject({
      kind: SpanKind.SERVER,
      parentSpanContext: CALLER,
      links: [{ context: LINKED }],
      status: { code: SpanStatusCode.ERROR },
    });
    expect(recorded.spanContext()).toBe(open.context);
  });

  it('starts a new trace without a parent, and a batch span with links and an error message', () => {
    const { tracing, exporter } = traced();
    const root = tracing.recorder.open(
      'GET /v2/models/tiny',
      SpanKind.SERVER,
      undefined,
      START,
      {},
    );
    const batch = tracing.recorder.open('batch', SpanKind.INTERNAL, root.context, START, {}, [
      { context: LINKED },
    ]);
    batch.setError('session failed');
    batch.end(END);
    root.end(END);
    const [batchSpan, rootSpan] = exporter.getFinishedSpans();
    expect(rootSpan?.parentSpanContext).toBeUndefined();
    expect(rootSpan?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(rootSpan?.spanContext().traceState).toBeUndefined();
    expect(rootSpan?.links).toEqual([]);
    expect(batchSpan?.spanContext().traceId).toBe(root.context.traceId);
    expect(batchSpan?.parentSpanContext).toBe(root.context);
    expect(batchSpan?.links).toEqual([{ context: LINKED }]);
    expect(batchSpan?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'session failed' });
  });

  it('gives each span its own list when links are added to spans opened without any', () => {
    const { tracing, exporter } = traced();
    const a = tracing.recorder.open('a', SpanKind.SERVER, PARENT, START, {});
    const b = tracing.recorder.open('b', SpanKind.SERVER, PARENT, START, {});
    a.addLink({ context: LINKED });
    a.end(END);
    b.end(END);
    const [first, second] = exporter.getFinishedSpans();
    expect(first?.links).toEqual([{ context: LINKED }]);
    expect(second?.links).toEqual([]);
  });
});

describe('tracerScope', () => {
  it('falls back to the given scope for a tracer that is not the SDK one', () => {
    const fallback = { name: 'modeldeploy-runtime', version: '0.1.0' };
    expect(tracerScope(trace.getTracer('any'), fallback)).toBe(fallback);
  });
});
