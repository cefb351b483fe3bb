import { SpanKind, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EncodedSpans } from './encoded-span-batch.js';
import { EncodingSpanProcessor, type EncodedSpanExporter } from './encoding-span-processor.js';
import { tracingFrom } from './tracing.js';

/** `count` ended spans of the runtime's recorder and of the SDK's tracer, mixed. */
function endedSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracing = tracingFrom(new SimpleSpanProcessor({ exporter: memory }), '0.1.0');
  for (let i = 0; i < count; i++) {
    if (i % 2 === 0) {
      const span = tracing.recorder.open(`request ${i}`, SpanKind.SERVER, undefined, [i, 0], {
        'http.response.status_code': 200,
      });
      span.end([i, 500]);
    } else {
      tracing.tracer.startSpan(`sdk ${i}`, { startTime: [i, 0] }).end([i, 900]);
    }
  }
  return memory.getFinishedSpans();
}

/** Keeps every export and answers them when told. */
class HeldExporter implements EncodedSpanExporter {
  readonly sent: EncodedSpans[] = [];
  private readonly answers: ((result: ExportResult) => void)[] = [];
  shutDown = false;

  export(spans: EncodedSpans, done: (result: ExportResult) => void): void {
    this.sent.push(spans);
    this.answers.push(done);
  }

  answerAll(code = ExportResultCode.SUCCESS): void {
    for (const done of this.answers.splice(0)) done({ code });
  }

  shutdown(): Promise<void> {
    this.shutDown = true;
    return Promise.resolve();
  }
}

const OPTIONS = { maxExportBatchSize: 4, maxQueueSize: 8, scheduledDelayMillis: 5000 };

afterEach(() => {
  vi.useRealTimers();
});

describe('EncodingSpanProcessor', () => {
  it('sends a full batch as the bytes the SDK’s serializer writes for those spans', () => {
    const spans = endedSpans(6);
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, OPTIONS);
    for (const span of spans) processor.onEnd(span);
    expect(exporter.sent.map((e) => e.spans)).toEqual([4]);
    const sdk = ProtobufTraceSerializer.serializeRequest(spans.slice(0, 4)) as Uint8Array;
    expect(Buffer.from(exporter.sent[0]?.bytes ?? []).equals(Buffer.from(sdk))).toBe(true);
  });

  it('keeps an unanswered export’s bytes, and writes a later export into an answered one’s buffer', () => {
    const spans = endedSpans(12);
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, OPTIONS);
    const sdkBytes = (from: number): Buffer =>
      Buffer.from(ProtobufTraceSerializer.serializeRequest(spans.slice(from, from + 4)) ?? []);
    const sent = (i: number): EncodedSpans => exporter.sent[i] as EncodedSpans;
    for (const span of spans.slice(0, 8)) processor.onEnd(span);
    // The second batch, encoded while the first is still being sent, left its bytes alone.
    expect(Buffer.from(sent(0).bytes).equals(sdkBytes(0))).toBe(true);
    expect(Buffer.from(sent(1).bytes).equals(sdkBytes(4))).toBe(true);
    expect(sent(1).bytes.buffer).not.toBe(sent(0).bytes.buffer);
    exporter.answerAll();
    for (const span of spans.slice(8)) processor.onEnd(span);
    // No new buffer per export: each one outside V8's heap is freed only by a full GC.
    expect([sent(0).bytes.buffer, sent(1).bytes.buffer]).toContain(sent(2).bytes.buffer);
    expect(Buffer.from(sent(2).bytes).equals(sdkBytes(8))).toBe(true);
  });

  it('leaves out a resource whose spans were all in the previous export', () => {
    // Two providers: spans of two resources, each grouped in its own ResourceSpans.
    const [a1, a2] = endedSpans(2);
    const [b1, b2] = endedSpans(2);
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, { ...OPTIONS, maxExportBatchSize: 2 });
    for (const span of [a1, b1, a2, b2] as ReadableSpan[]) processor.onEnd(span);
    const sdk = (spans: ReadableSpan[]): Buffer =>
      Buffer.from(ProtobufTraceSerializer.serializeRequest(spans) ?? []);
    expect(Buffer.from(exporter.sent[0]?.bytes ?? []).equals(sdk([a1, b1] as ReadableSpan[]))).toBe(
      true,
    );
    expect(Buffer.from(exporter.sent[1]?.bytes ?? []).equals(sdk([a2, b2] as ReadableSpan[]))).toBe(
      true,
    );
    processor.onEnd(a1 as ReadableSpan);
    void processor.forceFlush();
    expect(Buffer.from(exporter.sent[2]?.bytes ?? []).equals(sdk([a1] as ReadableSpan[]))).toBe(
      true,
    );
  });

  it('sends a batch that is not full once the scheduled delay has passed', () => {
    vi.useFakeTimers();
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, OPTIONS);
    for (const span of endedSpans(3)) processor.onEnd(span);
    vi.advanceTimersByTime(4999);
    expect(exporter.sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(exporter.sent.map((e) => e.spans)).toEqual([3]);
  });

  it('drops spans while maxQueueSize are waiting or being sent, and takes them again once answered', () => {
    const spans = endedSpans(12);
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, OPTIONS);
    for (const span of spans.slice(0, 10)) processor.onEnd(span);
    // Two exports of 4 are unanswered: 8 spans under way, the queue's limit.
    expect(exporter.sent.map((e) => e.spans)).toEqual([4, 4]);
    expect(processor.dropped).toBe(2);
    exporter.answerAll();
    processor.onEnd(spans[10] as ReadableSpan);
    expect(processor.dropped).toBe(2);
  });

  it('leaves out spans that are not sampled', () => {
    const [span] = endedSpans(1);
    const unsampled = Object.create(span as object, {
      spanContext: { value: () => ({ ...span?.spanContext(), traceFlags: TraceFlags.NONE }) },
    }) as ReadableSpan;
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, OPTIONS);
    processor.onEnd(unsampled);
    void processor.forceFlush();
    expect(exporter.sent).toHaveLength(0);
  });

  it('flushes on shutdown, waits for the answer, shuts the exporter down and takes no more spans', async () => {
    const spans = endedSpans(3);
    const exporter = new HeldExporter();
    const processor = new EncodingSpanProcessor(exporter, OPTIONS);
    processor.onEnd(spans[0] as ReadableSpan);
    processor.onEnd(spans[1] as ReadableSpan);
    let done = false;
    const stopping = processor.shutdown().then(() => (done = true));
    expect(exporter.sent.map((e) => e.spans)).toEqual([2]);
    await Promise.resolve();
    expect(done).toBe(false);
    exporter.answerAll(ExportResultCode.FAILED);
    await stopping;
    expect(exporter.shutDown).toBe(true);
    processor.onEnd(spans[2] as ReadableSpan);
    await processor.forceFlush();
    expect(exporter.sent).toHaveLength(1);
  });
});
