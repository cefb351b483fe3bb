import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inputsByName } from './payload-inputs.js';
import { payloadRecord, type AnsweredRequest } from './payload-record.js';
import { PayloadSampler } from './payload-sampler.js';

const answered = (over: Partial<AnsweredRequest> = {}): AnsweredRequest => ({
  requestId: 'r-1',
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  route: '/v2/models/:name/infer',
  status: 200,
  latencyMs: 1.23456,
  inputs: { a: { datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] } },
  response: '{"model_name":"m","outputs":[{"name":"y","data":[6]}]}',
  ...over,
});

describe('inputsByName', () => {
  it('reads V2 tensors, /predict inputs and V1 instances by input name', () => {
    const v2 = { inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [1] }] };
    expect(inputsByName('v2', v2, ['a'])).toEqual({
      a: { shape: [1], datatype: 'FP32', data: [1] },
    });
    expect(inputsByName('predict', { inputs: { a: [[1]] } }, ['a'])).toEqual({ a: [[1]] });
    expect(inputsByName('v1', { instances: [[1, 2]] }, ['a'])).toEqual({ a: [[1, 2]] });
    expect(
      inputsByName(
        'v1',
        {
          instances: [
            { a: 1, b: 2 },
            { a: 3, b: 4 },
          ],
        },
        ['a', 'b'],
      ),
    ).toEqual({ a: [1, 3], b: [2, 4] });
  });

  it('gives undefined for a body without the protocol’s shape', () => {
    expect(inputsByName('v2', { inputs: { a: 1 } }, ['a'])).toBeUndefined();
    expect(inputsByName('v1', { instances: [1, { a: 2 }] }, ['a', 'b'])).toBeUndefined();
    expect(inputsByName('predict', 'text', ['a'])).toBeUndefined();
  });
});

describe('payloadRecord', () => {
  it('carries ids, status, latency, inputs and the outputs of the answer', () => {
    expect(payloadRecord(answered(), new Map(), 16384)).toEqual({
      request_id: 'r-1',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      route: '/v2/models/:name/infer',
      status: 200,
      latency_ms: 1.235,
      inputs: { a: { datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] } },
      outputs: [{ name: 'y', data: [6] }],
    });
  });

  it('drops or hashes redacted inputs and names them', () => {
    const inputs = { a: { data: [7] }, b: { data: [8] }, c: { data: [9] } };
    const modes = new Map([
      ['a', 'drop' as const],
      ['b', 'hash' as const],
    ]);
    const record = payloadRecord(answered({ inputs }), modes, 16384);
    const hash = createHash('sha256').update('{"data":[8]}').digest('hex');
    expect(record.inputs).toEqual({ b: { sha256: hash }, c: { data: [9] } });
    expect(record.redacted).toEqual(['a', 'b']);
  });

  it('keeps the error of a failure, withheld when it names a redacted input', () => {
    const failed = (error: string) =>
      answered({ status: 400, response: JSON.stringify({ error }) });
    const modes = new Map([['ssn', 'drop' as const]]);
    expect(payloadRecord(failed("input 'x': bad"), modes, 16384).error).toBe("input 'x': bad");
    const withheld = payloadRecord(failed("input 'ssn': element 0 is 123456789"), modes, 16384);
    expect(withheld.error).not.toContain('123456789');
    expect(withheld.error).toContain("'ssn'");
  });

  it('records a body it cannot read without its inputs', () => {
    const record = payloadRecord(answered({ inputs: undefined, status: 400 }), new Map(), 16384);
    expect(record.inputs).toBeUndefined();
    expect(record.note).toMatch(/shape/);
  });

  it('cuts inputs and outputs so the line stays within maxRecordBytes', () => {
    const big = Array.from({ length: 5000 }, (_, i) => i / 7);
    const record = payloadRecord(
      answered({ inputs: { a: { data: big } }, response: JSON.stringify({ outputs: big }) }),
      new Map(),
      2048,
    );
    expect(record.truncated).toBe(true);
    expect(typeof record.inputs).toBe('string');
    expect(String(record.inputs)).toMatch(/^\{"a":\{"data":\[0,0\.14285714285714285,.*…$/);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThanOrEqual(2048 - 256);
  });

  it('gives a small side all it needs and the rest to the large one', () => {
    const big = Array.from({ length: 5000 }, (_, i) => i);
    const record = payloadRecord(
      answered({ response: JSON.stringify({ outputs: big }) }),
      new Map(),
      4096,
    );
    expect(record.inputs).toBe('{"a":{"datatype":"FP32","shape":[1,3],"data":[1,2,3]}}');
    expect(String(record.outputs).length).toBeGreaterThan(3000);
  });
});

describe('PayloadSampler', () => {
  it('logs every failure when failures are logged, and draws for successes', () => {
    const draws = [0.05, 0.5, 0.09, 0.2];
    let i = 0;
    const sampler = new PayloadSampler(0.1, true, () => draws[i++] ?? 1);
    expect([200, 200, 400, 500, 200, 200].map((s) => sampler.logs(s))).toEqual([
      true,
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(i).toBe(4);
  });

  it('never draws with a ratio of 0', () => {
    const sampler = new PayloadSampler(0, false, () => {
      throw new Error('drawn');
    });
    expect(sampler.logs(200)).toBe(false);
    expect(sampler.logs(503)).toBe(false);
  });
});
