import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, MODELS, startRuntime, type TestRuntime } from './helpers.js';

const row = (): number[] => Array.from({ length: 64 }, (_, i) => i / 64);

describe('bad requests to mlp-tiny are 4xx that say what is wrong', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.tiny, { MODEL_NAME: 'mlp-tiny', BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => rt.close());

  const v2 = (input: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', {
      inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: row(), ...input }],
      ...extra,
    });

  it.each([
    [
      'wrong input name',
      { name: 'pixels' },
      /inputs\[0\]\.name: expected one of the model's inputs: input/,
    ],
    [
      'wrong datatype',
      { datatype: 'INT32' },
      /input 'input': datatype INT32 does not match the model's FP32/,
    ],
    ['unknown datatype', { datatype: 'FLOAT' }, /inputs\[0\]\.datatype: expected one of BOOL/],
    [
      'wrong shape',
      { shape: [1, 63], data: row().slice(1) },
      /input 'input': expected shape \[-1,64\].*got \[1,63\]/,
    ],
    ['wrong rank', { shape: [64], data: row() }, /expected shape \[-1,64\].*got \[64\]/],
    ['data length vs shape', { shape: [2, 64] }, /shape \[2,64\] needs 128 elements, data has 64/],
    [
      'non-numeric',
      { data: [...row().slice(1), 'x'] },
      /element 63 .* is "x", expected a finite number \(FP32\)/,
    ],
    [
      'NaN as a string',
      { data: ['NaN', ...row().slice(1)] },
      /element 0 .* is "NaN", expected a finite number/,
    ],
    ['null', { data: [null, ...row().slice(1)] }, /element 0 .* is null/],
    ['empty batch', { shape: [0, 64], data: [] }, /input 'input': empty batch/],
    ['negative dimension', { shape: [-1, 64] }, /inputs\[0\]\.shape\[0\]/],
    ['data not an array', { data: 'abc' }, /inputs\[0\]\.data: expected an array/],
  ])('V2 %s → 400', async (_what, input, message) => {
    const res = await v2(input);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    expect(res.headers['x-model-name']).toBe('mlp-tiny');
  });

  it('V2 Infinity (1e999 in JSON) → 400', async () => {
    const body = `{"inputs":[{"name":"input","shape":[1,64],"datatype":"FP32","data":[1e999${',0'.repeat(63)}]}]}`;
    const res = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/element 0 .* is Infinity, expected a finite number/);
  });

  it('V2 values beyond FP32 range (finite as doubles) → 400 naming the input and element', async () => {
    for (const value of [3.5e38, -3.5e38, 1e300]) {
      const data = row();
      data[5] = value;
      const res = await v2({ data });
      expect(res.status, String(value)).toBe(400);
      expect(res.body.error).toMatch(
        /input 'input': element 5 \(row-major\) is -?[\d.e+]+, expected a number in \[-3\.4028234663852886e\+38, 3\.4028234663852886e\+38\] \(FP32\)/,
      );
    }
    const predict = await call(rt.server, 'POST', '/predict', {
      inputs: { input: [[...row().slice(1), 3.5e38]] },
    });
    expect(predict.status).toBe(400);
    expect(predict.body.error).toMatch(/input 'input': element 63/);
  });

  it('a 200 whose outputs hold non-finite values says so in x-non-finite-outputs', async () => {
    // The largest FP32 inputs overflow the first layer's sums to ±Infinity.
    const huge = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 3.4e38 : -3.4e38));
    const res = await v2({ data: huge });
    expect(res.status).toBe(200);
    const data = (res.body.outputs as { data: (number | null)[] }[])[0]!.data;
    const nulls = data.filter((v) => v === null).length;
    expect(nulls).toBeGreaterThan(0);
    expect(res.headers['x-non-finite-outputs']).toBe(`output=${nulls}`);
    const finite = await v2({});
    expect(finite.headers['x-non-finite-outputs']).toBeUndefined();
  });

  it('V2 missing input, twice the same input, no inputs', async () => {
    const twice = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', {
      inputs: [
        { name: 'input', shape: [1, 64], datatype: 'FP32', data: row() },
        { name: 'input', shape: [1, 64], datatype: 'FP32', data: row() },
      ],
    });
    expect(twice.body.error).toMatch(
      /inputs: 2 entries, but the model has 1 input \('input'\); name each input at most once/,
    );
    const none = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', { inputs: [] });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatch(/inputs: expected at least one input/);
  });

  it('/predict and V1 reject bad inputs too', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/predict', { inputs: { pixels: [row()] } }, /unknown input 'pixels'/],
      ['/predict', { inputs: { input: [] } }, /input 'input': expected shape \[-1,64\].*got \[0\]/],
      ['/predict', { inputs: { input: [row(), row().slice(1)] } }, /ragged data/],
      ['/predict', { inputs: { input: [[...row().slice(1), true]] } }, /element 63 .* is true/],
      ['/predict', { input: [row()] }, /inputs: expected an object|inputs/],
      ['/v1/models/mlp-tiny:predict', { instances: [] }, /empty batch/],
      ['/v1/models/mlp-tiny:predict', { instances: [row().slice(2)] }, /got \[1,62\]/],
      ['/v1/models/mlp-tiny:predict', { rows: [row()] }, /instances/],
    ];
    for (const [url, body, message] of cases) {
      const res = await call(rt.server, 'POST', url, body);
      expect(res.status, `${url} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
      expect(res.body.error).toMatch(message);
    }
  });

  it('malformed JSON → 400, wrong content type → 415, oversized body → 413', async () => {
    const broken = await call(rt.server, 'POST', '/predict', '{"inputs": [');
    expect(broken.status).toBe(400);
    expect(typeof broken.body.error).toBe('string');
    const text = await rt.server.app.inject({
      method: 'POST',
      url: '/predict',
      headers: { 'content-type': 'application/xml' },
      payload: '<inputs/>',
    });
    expect(text.statusCode).toBe(415);
    expect(JSON.parse(text.body)).toHaveProperty('error');
    const big = await call(rt.server, 'POST', '/predict', {
      inputs: { input: Array.from({ length: 20 }, row) },
    });
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('request body is larger than BODY_LIMIT_BYTES=4096');
  });

  it('keeps serving correct answers after all of that', async () => {
    const res = await call(rt.server, 'POST', '/predict', { inputs: { input: [row()] } });
    expect(res.status).toBe(200);
    expect((res.body.outputs as { output: number[][] }).output[0]).toHaveLength(10);
  });
});

describe('a request the model refuses on its own', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.int64, { MODEL_NAME: 'emb', BATCH_MAX_SIZE: '1' });
  });
  afterAll(() => rt.close());

  it('answers 400 naming the input for an id out of the table and 200 for the requests around it', async () => {
    const infer = (ids: number[]) =>
      call(rt.server, 'POST', '/v2/models/emb/infer', {
        inputs: [{ name: 'ids', shape: [1, 4], datatype: 'INT64', data: ids }],
        outputs: [{ name: 'ids_sum' }],
      });
    const [before, bad, after] = await Promise.all([
      infer([1, 2, 3, 4]),
      infer([100, 0, 0, 0]),
      infer([5, 5, 5, 5]),
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^input 'ids' holds a value .*Gather.*out of data bounds/);
    expect(before.status).toBe(200);
    expect((before.body.outputs as { data: number[] }[])[0]!.data).toEqual([10]);
    expect((after.body.outputs as { data: number[] }[])[0]!.data).toEqual([20]);
    const later = await infer([1, 1, 1, 1]);
    expect((later.body.outputs as { data: number[] }[])[0]!.data).toEqual([4]);
  });
});
