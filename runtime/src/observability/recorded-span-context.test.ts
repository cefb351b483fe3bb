import {
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { RecordedSpanContext, TraceIdentity } from './recorded-span-context.js';
import { tracingFrom } from './tracing.js';

const TRACE_HEX = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('TraceIdentity', () => {
  it('parses a caller’s trace id into its bytes and keeps the hex it was given', () => {
    const identity = TraceIdentity.fromHex(TRACE_HEX);
    expect(Buffer.from(identity.bytes).equals(Buffer.from(TRACE_HEX, 'hex'))).toBe(true);
    expect(identity.id).toBe(TRACE_HEX);
    expect(TraceIdentity.fromHex(TRACE_HEX.toUpperCase()).bytes).toEqual(identity.bytes);
  });

  it('shows bytes it was made from as 32 lowercase hex digits, leading zeros kept', () => {
    const bytes = new Uint8Array(16);
    bytes[0] = 0x0a;
    bytes[15] = 0xf0;
    expect(new TraceIdentity(bytes).id).toBe('0a' + '00'.repeat(14) + 'f0');
  });
});

describe('RecordedSpanContext', () => {
  it('reads as a valid, sampled, local W3C context whose span id is its two words in hex', () => {
    const state = new TraceState('vendor=value');
    const context = new RecordedSpanContext(
      TraceIdentity.fromHex(TRACE_HEX),
      0x00f067aa,
      0x0ba902b7,
      state,
    );
    expect(context.traceId).toBe(TRACE_HEX);
    expect(context.spanId).toBe('00f067aa0ba902b7');
    expect(context.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(context.traceState).toBe(state);
    expect((context as SpanContext).isRemote).toBeUndefined();
    expect(isSpanContextValid(context)).toBe(true);
    expect(new RecordedSpanContext(TraceIdentity.fromHex(TRACE_HEX), 0, 1, undefined).spanId).toBe(
      '0000000000000001',
    );
  });

  it('is a parent the SDK’s tracer reads: a span of other code started under a recorded one', () => {
    const exporter = new InMemorySpanExporter();
    const tracing = tracingFrom(new SimpleSpanProcessor({ exporter }), '0.1.0');
    const server = tracing.recorder.open('GET /', 0, undefined, [10, 0], {});
    const context = server.context;
    tracing.tracer.startSpan('client', {}, trace.setSpanContext(ROOT_CONTEXT, context)).end();
    const [child] = exporter.getFinishedSpans();
    expect(child?.spanContext().traceId).toBe(context.traceId);
    expect(child?.parentSpanContext?.spanId).toBe(context.spanId);
    expect(context.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(context.spanId).toMatch(/^[0-9a-f]{16}$/);
  });
});
