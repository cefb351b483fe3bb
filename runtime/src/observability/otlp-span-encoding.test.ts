import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { otlpTraceSerializer } from './encoded-span-batch.js';
import { tracingFrom, type Tracing } from './tracing.js';

const REMOTE: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: new TraceState('vendor=value,other=x'),
  isRemote: true,
};

function traced(): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  return { tracing: tracingFrom(new SimpleSpanProcessor({ exporter }), '0.1.0'), exporter };
}

/** The bytes both serializers write for the same spans. */
function both(spans: ReadableSpan[]): { ours: Buffer; sdk: Buffer } {
  return {
    ours: Buffer.from(otlpTraceSerializer.serializeRequest(spans) as Uint8Array),
    sdk: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array),
  };
}

/** A request's tree as the runtime records it: server span, steps, batch with links, run. */
function runtimeSpans(tracing: Tracing, at: HrTime): void {
  const { recorder } = tracing;
  const server = recorder.open('POST /v2/models/{model}/infer', SpanKind.SERVER, REMOTE, at, {
    'http.request.method': 'POST',
    'http.route': '/v2/models/{model}/infer',
    'http.response.status_code': 0,
    'model.name': 'tiny',
    'user_agent.original': 'wrk ünïcode',
  });
  recorder.record('decode', server.context, at, [at[0], at[1] + 1000]);
  recorder.record('queue', server.context, at, [at[0] + 1, 0], { 'queue.position': -3 });
  const batch = recorder.open(
    'batch',
    SpanKind.INTERNAL,
    server.context,
    at,
    {
      'batch.requests': 2,
      'batch.rows': 2,
    },
    [{ context: REMOTE }, { context: { ...REMOTE, isRemote: false, traceState: undefined } }],
  );
  recorder.record('inference', batch.context, at, [at[0] + 2, 999_999_999], {
    'inference.rows': 2,
    'isolation.run': false,
    ratio: 0.25,
    big: 2 ** 60,
    huge: 1e300,
    list: ['a', 'b'],
    numbers: [1, -1, 2.5],
  });
  batch.end([at[0] + 3, 0]);
  server.addLink({ context: batch.context });
  server.setAttribute('http.response.status_code', 500);
  server.setError('model failed: ' + 'x'.repeat(200));
  server.end([at[0] + 4, 0]);
}

describe('otlpTraceSerializer', () => {
  it('writes the SDK serializer’s bytes for the runtime’s span tree', () => {
    const { tracing, exporter } = traced();
    runtimeSpans(tracing, [1_764_446_400, 123_456_789]);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(5);
    const { ours, sdk } = both(spans);
    expect(ours.length).toBeGreaterThan(600);
    expect(ours.equals(sdk)).toBe(true);
  });

  it('writes the same bytes for spans of the SDK’s own tracer, and across many spans', () => {
    const { tracing, exporter } = traced();
    const parent = trace.setSpanContext(ROOT_CONTEXT, REMOTE);
    for (let i = 0; i < 300; i++) {
      const span = tracing.tracer.startSpan(
        `sdk span ${i}`,
        {
          startTime: [i * 7_919, i * 3_331],
          attributes: { i, odd: i % 2 === 1, note: 'y'.repeat(300) },
        },
        parent,
      );
      if (i % 3 === 0) span.setStatus({ code: SpanStatusCode.OK });
      span.end([i * 7_919 + 1, 0]);
      runtimeSpans(tracing, [4_294_967_295 - i, 999_999_999 - i]);
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBe(1_800);
    const { ours, sdk } = both(spans);
    // Larger than the first buffer (256 bytes per span): it grew, and long lengths moved.
    expect(ours.length).toBeGreaterThan(256 * 1_800);
    expect(ours.equals(sdk)).toBe(true);
  });

  it('writes each value of a name, whether its encoding was kept or not, as the SDK does', () => {
    // Before the test below fills the encoder's table of names, so that these values are kept.
    const { tracing, exporter } = traced();
    const values = ['a', 'b', 1, -0, 0, true, 'c', 'ü', 'x'.repeat(300), 2.5, 'a', 1];
    for (let round = 0; round < 3; round++)
      for (const value of values)
        tracing.recorder.record('step', REMOTE, [10, round], [11, 0], {
          'changing.value': value,
          'same.value': 'kept',
        });
    const { ours, sdk } = both(exporter.getFinishedSpans());
    expect(ours.equals(sdk)).toBe(true);
  });

  it('writes times past 2116 and past 2^53 ns, and more attribute names than it keeps encoded', () => {
    const { tracing, exporter } = traced();
    const { recorder } = tracing;
    const server = recorder.open(
      'far',
      SpanKind.SERVER,
      undefined,
      [5_000_000_000, 999_999_999],
      {},
    );
    for (let i = 0; i < 4; i++) {
      // 1600 names in all: more than the encoder keeps, so some are written afresh each time.
      const attributes: Record<string, number> = {};
      for (let k = 0; k < 400; k++) attributes[`generated.${i}.${k}`] = k;
      recorder.record(
        'many',
        server.context,
        [17_000_000_000 + i, 1],
        [18_446_744_073, 709_551_615],
        attributes,
      );
    }
    server.end([5_000_000_001, 0]);
    const { ours, sdk } = both(exporter.getFinishedSpans());
    expect(ours.equals(sdk)).toBe(true);
  });

  it('writes spans with events as the SDK does', () => {
    const { tracing, exporter } = traced();
    const span = tracing.tracer.startSpan('with event', { startTime: [10, 0] });
    span.addEvent('retry', { attempt: 2 }, [10, 5]);
    span.end([11, 0]);
    const { ours, sdk } = both(exporter.getFinishedSpans());
    expect(ours.equals(sdk)).toBe(true);
  });

  it('writes an empty request for no spans, as the SDK does', () => {
    const { ours, sdk } = both([]);
    expect(ours.length).toBe(0);
    expect(ours.equals(sdk)).toBe(true);
  });
});
