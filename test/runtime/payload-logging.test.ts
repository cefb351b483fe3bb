/**
 * Payload logging through the real runtime and onnxruntime: its sampling (a seeded random
 * source drives the real sampler), failures, redaction across all three protocols, the cap.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/src/logger.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { createPayloadLogger } from '../../runtime/src/observability/payload-logging.js';
import { buildServer, type RuntimeServer } from '../../runtime/src/server.js';
import { seededRandom } from '../support/seeded-random.js';
import { call, MODELS, testConfig } from './helpers.js';

/** Every line written to a stream, as text. */
function lineSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(line);
      done();
    },
  });
  return { stream, lines };
}

interface Logged {
  readonly server: RuntimeServer;
  /** The payload logger's lines. */
  readonly records: string[];
  /** The runtime logger's lines. */
  readonly logs: string[];
}

async function startLogged(
  model: string,
  env: Record<string, string>,
  random?: () => number,
): Promise<Logged> {
  const config = testConfig(model, { LOG_LEVEL: 'info', ...env });
  const payload = lineSink();
  const runtime = lineSink();
  const server = await buildServer(config, await loadModel(config), {
    logger: createLogger(config, runtime.stream),
    payloadLogger: createPayloadLogger(config, payload.stream),
    ...(random !== undefined && { payloadRandom: random }),
  });
  return { server, records: payload.lines, logs: runtime.lines };
}

const parsed = (lines: readonly string[]): Record<string, unknown>[] =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>);

const ROW = Array.from({ length: 64 }, (_, i) => i / 64);
const tinyInfer = (server: RuntimeServer, id: string) =>
  call(
    server,
    'POST',
    '/v2/models/tiny/infer',
    { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }] },
    { 'x-request-id': id },
  );

describe('payload sampling at PAYLOAD_LOG_SAMPLE_RATIO=0.1', () => {
  const SEED = 20;
  const N = 1000;
  let rt: Logged;
  beforeAll(async () => {
    rt = await startLogged(
      MODELS.tiny,
      { MODEL_NAME: 'tiny', MODEL_VERSION: '4', PAYLOAD_LOG_SAMPLE_RATIO: '0.1' },
      seededRandom(SEED),
    );
  });
  afterAll(() => rt.server.shutdown());

  it('logs about a tenth of 1000 requests: within a binomial margin, and exactly the draws under 0.1', async () => {
    for (let i = 0; i < N; i += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, j) => tinyInfer(rt.server, `s-${i + j}`)),
      );
      for (const a of answers) expect(a.status).toBe(200);
    }
    const records = parsed(rt.records);
    // Three standard deviations of binomial(1000, 0.1): 3 × √90 ≈ 28.5.
    expect(records.length).toBeGreaterThanOrEqual(100 - 28);
    expect(records.length).toBeLessThanOrEqual(100 + 28);
    // The sampler draws once per request, so the same sequence predicts the count exactly.
    const replay = seededRandom(SEED);
    const expected = Array.from({ length: N }, () => replay()).filter((d) => d < 0.1).length;
    expect(records.length).toBe(expected);
    expect(new Set(records.map((r) => r['request_id'])).size).toBe(records.length);
    expect(records[0]).toMatchObject({
      name: 'payload',
      model: 'tiny',
      version: '4',
      track: 'stable',
      status: 200,
      route: '/v2/models/:name/infer',
      inputs: { input: { datatype: 'FP32', shape: [1, 64], data: ROW } },
    });
    expect(records[0]?.['latency_ms']).toEqual(expect.any(Number));
    const outputs = records[0]?.['outputs'] as { name: string; shape: number[] }[];
    expect(outputs[0]).toMatchObject({ name: 'output', shape: [1, 10] });
  });
});

describe('failed requests, PAYLOAD_LOG_FAILURES=true with a ratio of 0', () => {
  let rt: Logged;
  beforeAll(async () => {
    rt = await startLogged(MODELS.tiny, {
      MODEL_NAME: 'tiny',
      PAYLOAD_LOG_FAILURES: 'true',
    });
  });
  afterAll(() => rt.server.shutdown());

  it('logs every 400 with its error and the trace id the caller sent, and no success', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const bad = (i: number) =>
      call(
        rt.server,
        'POST',
        '/v2/models/tiny/infer',
        { inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
        { 'x-request-id': `bad-${i}`, traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      );
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => bad(i)),
      ...Array.from({ length: 20 }, (_, i) => tinyInfer(rt.server, `good-${i}`)),
    ]);
    expect(answers.filter((a) => a.status === 400)).toHaveLength(20);
    const records = parsed(rt.records);
    expect(records.map((r) => r['request_id']).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `bad-${i}`).sort(),
    );
    for (const r of records) {
      expect(r).toMatchObject({ status: 400, trace_id: traceId });
      expect(r['error']).toMatch(/input 'input'/);
    }
  });

  it('logs a body that is not JSON, without inputs', async () => {
    const before = rt.records.length;
    const res = await call(rt.server, 'POST', '/v2/models/tiny/infer', '{"inputs": [', {
      'x-request-id': 'broken',
    });
    expect(res.status).toBe(400);
    const record = parsed(rt.records.slice(before))[0];
    expect(record).toMatchObject({ request_id: 'broken', status: 400 });
    expect(record?.['inputs']).toBeUndefined();
  });
});

// Exactly representable in FP32, and not part of any sum a + b below.
const SECRET = [0.40625, 0.71875, 0.90625];
const OTHER = [0.0625, 0.0625, 0.0625];
const SECRET_TEXT = SECRET.map(String);

describe.each(['drop', 'hash'])('redaction of input a (mode %s) of a two-input model', (mode) => {
  let rt: Logged;
  beforeAll(async () => {
    rt = await startLogged(MODELS.twoInputs, {
      MODEL_NAME: 'pair',
      PAYLOAD_LOG_SAMPLE_RATIO: '1',
      PAYLOAD_LOG_FAILURES: 'true',
      PAYLOAD_LOG_REDACT: JSON.stringify([{ input: 'a', mode }]),
    });
  });
  afterAll(() => rt.server.shutdown());

  it('never writes its values to any log line, over V2, /predict, V1 and failures', async () => {
    const answers = await Promise.all([
      call(rt.server, 'POST', '/v2/models/pair/infer', {
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'FP32', data: SECRET },
          { name: 'b', shape: [1, 3], datatype: 'FP32', data: OTHER },
        ],
      }),
      call(rt.server, 'POST', '/predict', { inputs: { a: [SECRET], b: [OTHER] } }),
      call(rt.server, 'POST', '/v1/models/pair:predict', { instances: [{ a: SECRET, b: OTHER }] }),
      // Refused for input a itself: the error quotes its element.
      call(rt.server, 'POST', '/v2/models/pair/infer', {
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'FP32', data: [SECRET[0], SECRET[1], 'x0.90625'] },
          { name: 'b', shape: [1, 3], datatype: 'FP32', data: OTHER },
        ],
      }),
      // Refused for input b: a is still in the body.
      call(rt.server, 'POST', '/v2/models/pair/infer', {
        inputs: [
          { name: 'a', shape: [1, 3], datatype: 'FP32', data: SECRET },
          { name: 'b', shape: [1, 2], datatype: 'FP32', data: [1, 2] },
        ],
      }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 400, 400]);
    // The answers (not logs) do contain the sums, the positive control for the search.
    expect(rt.records).toHaveLength(5);
    const everything = [...rt.records, ...rt.logs].join('\n');
    for (const secret of SECRET_TEXT) expect(everything).not.toContain(secret);
    // Input b is not redacted: its values are there, so the search above can find values.
    expect(everything).toContain('0.0625');
    for (const record of parsed(rt.records)) {
      expect(record['redacted']).toEqual(['a']);
      const a = (record['inputs'] as Record<string, unknown>)['a'];
      if (mode === 'drop') expect(a).toBeUndefined();
      else expect(a).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
  });
});

describe('PAYLOAD_LOG_MAX_RECORD_BYTES', () => {
  let rt: Logged;
  beforeAll(async () => {
    rt = await startLogged(MODELS.tiny, {
      MODEL_NAME: 'tiny',
      PAYLOAD_LOG_SAMPLE_RATIO: '1',
      PAYLOAD_LOG_MAX_RECORD_BYTES: '2048',
    });
  });
  afterAll(() => rt.server.shutdown());

  it('keeps a large request’s record line within the cap, marked truncated', async () => {
    const rows = Array.from({ length: 32 }, () => ROW);
    const res = await call(rt.server, 'POST', '/predict', { inputs: { input: rows } });
    expect(res.status).toBe(200);
    expect(rt.records).toHaveLength(1);
    const line = rt.records[0] as string;
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2048);
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record['truncated']).toBe(true);
    expect(String(record['inputs'])).toMatch(/^\{"input":\[\[0,0\.015625,.*…$/);
  });
});

describe('V2 binary tensor data in payload records', () => {
  const bytes = Buffer.from(Float32Array.from(ROW).buffer);
  const header = JSON.stringify({
    inputs: [
      {
        name: 'input',
        shape: [1, 64],
        datatype: 'FP32',
        parameters: { binary_data_size: bytes.length },
      },
    ],
  });
  const binaryInfer = (server: RuntimeServer) =>
    server.app.inject({
      method: 'POST',
      url: '/v2/models/tiny/infer',
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(Buffer.byteLength(header)),
      },
      payload: Buffer.concat([Buffer.from(header), bytes]),
    });

  it('records the tensor bytes as base64 beside the JSON header', async () => {
    const rt = await startLogged(MODELS.tiny, {
      MODEL_NAME: 'tiny',
      PAYLOAD_LOG_SAMPLE_RATIO: '1',
    });
    try {
      expect((await binaryInfer(rt.server)).statusCode).toBe(200);
      expect(rt.records).toHaveLength(1);
      const record = parsed(rt.records)[0] as Record<string, unknown>;
      expect((record['inputs'] as Record<string, unknown>)['input']).toEqual({
        shape: [1, 64],
        datatype: 'FP32',
        parameters: { binary_data_size: bytes.length },
        data_base64: bytes.toString('base64'),
      });
    } finally {
      await rt.server.shutdown();
    }
  });

  it('hashes a redacted binary input: its bytes appear in no line', async () => {
    const rt = await startLogged(MODELS.tiny, {
      MODEL_NAME: 'tiny',
      PAYLOAD_LOG_SAMPLE_RATIO: '1',
      PAYLOAD_LOG_REDACT: JSON.stringify([{ input: 'input', mode: 'hash' }]),
    });
    try {
      expect((await binaryInfer(rt.server)).statusCode).toBe(200);
      const record = parsed(rt.records)[0] as Record<string, unknown>;
      expect((record['inputs'] as Record<string, unknown>)['input']).toEqual({
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const everything = [...rt.records, ...rt.logs].join('\n');
      expect(everything).not.toContain(bytes.toString('base64').slice(0, 24));
    } finally {
      await rt.server.shutdown();
    }
  });
});
