/**
 * Tracing through the real runtime and onnxruntime, with the OpenTelemetry SDK's own
 * in-memory exporter in place of OTLP (tracing-jaeger.test.ts sends them to a real Jaeger).
 */
import { Writable } from 'node:stream';
import { hrTimeToMicroseconds } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/src/logger.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { NO_TRACE, type RequestTrace } from '../../runtime/src/observability/request-trace.js';
import { tracingFrom } from '../../runtime/src/observability/tracing.js';
import { buildServer, type RuntimeServer } from '../../runtime/src/server.js';
import { call, MODELS, testConfig } from './helpers.js';
import { expectOneSharedBatch, type SpanRecord } from './trace-tree.js';

const ROW = Array.from({ length: 64 }, (_, i) => i / 64);
const REQUESTS = 4;

function record(span: ReadableSpan): SpanRecord {
  return {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentId: span.parentSpanContext?.spanId,
    name: span.name,
    start: hrTimeToMicroseconds(span.startTime),
    end: hrTimeToMicroseconds(span.endTime),
    attributes: span.attributes,
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId })),
  };
}

const infer = (server: RuntimeServer, headers: Record<string, string> = {}) =>
  call(
    server,
    'POST',
    '/v2/models/tiny/infer',
    { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }] },
    headers,
  );

interface Traced {
  readonly server: RuntimeServer;
  readonly exporter: InMemorySpanExporter;
  readonly logLines: Record<string, unknown>[];
}

async function startTraced(thread: string): Promise<Traced> {
  const config = testConfig(MODELS.tiny, {
    MODEL_NAME: 'tiny',
    MODEL_VERSION: '7',
    SESSION_THREAD: thread,
    LOG_LEVEL: 'debug',
    // The batch leaves when all REQUESTS have joined it, never on the timer.
    BATCH_DISPATCH: 'delay',
    BATCH_MAX_DELAY_MS: '30000',
    BATCH_MAX_SIZE: String(REQUESTS),
  });
  const exporter = new InMemorySpanExporter();
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const server = await buildServer(config, await loadModel(config), {
    logger: createLogger(config, sink),
    tracing: tracingFrom(new SimpleSpanProcessor({ exporter }), '0.1.0'),
  });
  return { server, exporter, logLines };
}

describe.each(['main', 'worker'])('tracing with SESSION_THREAD=%s', (thread) => {
  let t: Traced;
  beforeAll(async () => {
    t = await startTraced(thread);
  });
  afterAll(() => t.server.shutdown());

  it('gives concurrent requests that share a batch the span tree, the links and the model attributes', async () => {
    t.exporter.reset();
    const answers = await Promise.all(Array.from({ length: REQUESTS }, () => infer(t.server)));
    for (const a of answers) expect(a.status).toBe(200);
    const spans = t.exporter.getFinishedSpans().map(record);
    expectOneSharedBatch(spans, REQUESTS, { name: 'tiny', version: '7', track: 'stable' });
  });

  it('continues the trace of an incoming W3C traceparent and writes its id on the request log lines', async () => {
    t.exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        infer(t.server, {
          traceparent: `00-${traceId}-${parentId}-01`,
          tracestate: 'vendor=abc',
          'x-request-id': `traced-${thread}-${i}`,
        }),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    const servers = t.exporter.getFinishedSpans().filter((s) => s.kind === 1);
    expect(servers).toHaveLength(REQUESTS);
    for (const s of servers) {
      expect(s.spanContext().traceId).toBe(traceId);
      expect(s.parentSpanContext?.spanId).toBe(parentId);
      expect(s.spanContext().traceState?.get('vendor')).toBe('abc');
    }
    const lines = t.logLines.filter((l) => String(l['request_id']).startsWith(`traced-${thread}-`));
    expect(lines.length).toBeGreaterThanOrEqual(REQUESTS);
    for (const line of lines) expect(line['trace_id']).toBe(traceId);
  });

  it('does not trace health probes', async () => {
    t.exporter.reset();
    expect((await call(t.server, 'GET', '/v2/health/ready')).status).toBe(200);
    expect(t.exporter.getFinishedSpans()).toHaveLength(0);
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('gives every request the shared NO_TRACE and logs no trace id', async () => {
    const config = testConfig(MODELS.tiny, { MODEL_NAME: 'tiny', LOG_LEVEL: 'debug' });
    expect(config.tracing).toBeUndefined();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const server = await buildServer(config, await loadModel(config), {
      logger: createLogger(config, sink),
    });
    const seen: RequestTrace[] = [];
    server.app.addHook('onResponse', (request, _reply, done) => {
      seen.push(request.trace);
      done();
    });
    try {
      const answers = await Promise.all([infer(server), infer(server)]);
      for (const a of answers) expect(a.status).toBe(200);
      expect(seen).toHaveLength(2);
      for (const trace of seen) expect(trace).toBe(NO_TRACE);
      expect(lines.join('')).toContain('request completed');
      expect(lines.join('')).not.toContain('trace_id');
    } finally {
      await server.shutdown();
    }
  });
});
