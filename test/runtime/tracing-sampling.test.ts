/**
 * Head sampling through the real runtime and onnxruntime: the decision is made once when a
 * request arrives, and a request that is not sampled costs no span object at all (the
 * runtime's span recorder is never asked for one), while its log lines still carry a
 * caller's W3C trace id.
 */
import { Writable } from 'node:stream';
import { ROOT_CONTEXT, SamplingDecision, SpanKind } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/src/logger.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { createTracing } from '../../runtime/src/observability/tracing.js';
import { buildServer, type RuntimeServer } from '../../runtime/src/server.js';
import { call, MODELS, testConfig } from './helpers.js';

const ROW = Array.from({ length: 64 }, (_, i) => i / 64);
const BODY = { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }] };
const VERSION = '0.1.0';

interface Sampled {
  readonly server: RuntimeServer;
  readonly exporter: InMemorySpanExporter;
  readonly logLines: Record<string, unknown>[];
  /** Spans the runtime made since the last reset (its recorder's record and open). */
  startSpanCalls(): number;
  reset(): void;
}

/** A runtime configured by OTEL_* variables as in production, exporting to memory. */
async function startSampled(sampler: string, ratio: string): Promise<Sampled> {
  const config = testConfig(MODELS.tiny, {
    MODEL_NAME: 'tiny',
    LOG_LEVEL: 'debug',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    OTEL_TRACES_SAMPLER: sampler,
    OTEL_TRACES_SAMPLER_ARG: ratio,
  });
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing(config.tracing, VERSION, {
    processor: () => new SimpleSpanProcessor({ exporter }),
  });
  // Every span the runtime makes comes from its recorder: count them.
  let calls = 0;
  if (tracing !== undefined) {
    const recorder = tracing.recorder;
    const record = recorder.record.bind(recorder);
    const open = recorder.open.bind(recorder);
    recorder.record = (...args: Parameters<typeof record>) => {
      calls++;
      record(...args);
    };
    recorder.open = (...args: Parameters<typeof open>) => {
      calls++;
      return open(...args);
    };
  }
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
    ...(tracing !== undefined && { tracing }),
  });
  return {
    server,
    exporter,
    logLines,
    startSpanCalls: () => calls,
    reset: () => {
      calls = 0;
      exporter.reset();
      logLines.length = 0;
    },
  };
}

const infer = (server: RuntimeServer, headers: Record<string, string> = {}) =>
  call(server, 'POST', '/v2/models/tiny/infer', BODY, headers);

const linesOf = (t: Sampled, requestId: string) =>
  t.logLines.filter((l) => l['request_id'] === requestId);

describe('tracing on, parentbased_traceidratio at 0 (no root request sampled)', () => {
  let t: Sampled;
  beforeAll(async () => {
    t = await startSampled('parentbased_traceidratio', '0');
  });
  afterAll(() => t.server.shutdown());

  it('asks the tracer for no span, for requests that are not sampled', async () => {
    t.reset();
    const answers = await Promise.all(Array.from({ length: 8 }, () => infer(t.server)));
    for (const a of answers) expect(a.status).toBe(200);
    expect(t.startSpanCalls()).toBe(0);
    expect(t.exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('logs an unsampled request without trace_id, and with the caller trace id when one came', async () => {
    t.reset();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const plain = await infer(t.server, { 'x-request-id': 'plain-1' });
    const continued = await infer(t.server, {
      'x-request-id': 'continued-1',
      traceparent: `00-${traceId}-b7ad6b7169203331-00`,
    });
    expect([plain.status, continued.status]).toEqual([200, 200]);
    expect(t.startSpanCalls()).toBe(0);
    const plainLines = linesOf(t, 'plain-1');
    const continuedLines = linesOf(t, 'continued-1');
    expect(plainLines.length).toBeGreaterThan(0);
    expect(continuedLines.length).toBeGreaterThan(0);
    for (const line of plainLines) expect(line).not.toHaveProperty('trace_id');
    for (const line of continuedLines) expect(line['trace_id']).toBe(traceId);
  });

  it('still follows a caller that sampled the trace (parent based)', async () => {
    t.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const answer = await infer(t.server, {
      'x-request-id': 'sampled-parent-1',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(answer.status).toBe(200);
    const spans = t.exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(
      ['POST /v2/models/:name/infer', 'batch', 'decode', 'encode', 'inference', 'queue'].sort(),
    );
    for (const s of spans) expect(s.spanContext().traceId).toBe(traceId);
    for (const line of linesOf(t, 'sampled-parent-1')) expect(line['trace_id']).toBe(traceId);
  });
});

describe('tracing on, traceidratio at 0.5', () => {
  let t: Sampled;
  beforeAll(async () => {
    t = await startSampled('traceidratio', '0.5');
  });
  afterAll(() => t.server.shutdown());

  it('exports the trace ids the decision was made on, and only sampled requests make spans', async () => {
    t.reset();
    const requests = 40;
    for (let i = 0; i < requests; i++)
      expect((await infer(t.server, { 'x-request-id': `ratio-${i}` })).status).toBe(200);
    const servers = t.exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    // 40 draws at 0.5: all or none sampled has probability 2·2^-40.
    expect(servers.length).toBeGreaterThan(0);
    expect(servers.length).toBeLessThan(requests);
    const sampler = new TraceIdRatioBasedSampler(0.5);
    for (const s of servers) {
      const id = s.spanContext().traceId;
      const decision = sampler.shouldSample(ROOT_CONTEXT, id);
      expect(decision.decision, `trace ${id} is one the ratio sampler keeps`).toBe(
        SamplingDecision.RECORD_AND_SAMPLED,
      );
    }
    // Each sampled request: server, decode, queue, encode; each batch with a sampled request: batch, inference.
    expect(t.startSpanCalls()).toBe(t.exporter.getFinishedSpans().length);
    // A sampled request's log lines carry the id of the trace it started; the others none.
    const traceOf = new Map(
      servers.map((s) => [String(s.attributes['modeldeploy.request.id']), s.spanContext().traceId]),
    );
    for (let i = 0; i < requests; i++) {
      const lines = linesOf(t, `ratio-${i}`);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line['trace_id']).toBe(traceOf.get(`ratio-${i}`));
    }
  });
});
