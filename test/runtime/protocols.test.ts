import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  chunk,
  goldenFor,
  maxAbsDiff,
  MODELS,
  startRuntime,
  type TestRuntime,
} from './helpers.js';

const golden = goldenFor(MODELS.tiny)[0]!;
const input = golden.inputs[0]!.data as number[];
const expected = golden.outputs[0]!.data as number[];

describe('mlp-tiny over every endpoint', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.tiny, { MODEL_NAME: 'mlp-tiny', MODEL_VERSION: '3' });
  });
  afterAll(() => rt.close());

  it('POST /predict answers the golden outputs with model name and version', async () => {
    const res = await call(rt.server, 'POST', '/predict', { inputs: { input: chunk(input, 64) } });
    expect(res.status).toBe(200);
    expect(res.body.model_name).toBe('mlp-tiny');
    expect(res.body.model_version).toBe('3');
    const out = (res.body.outputs as { output: number[][] }).output;
    expect(out).toHaveLength(2);
    expect(out[0]).toHaveLength(10);
    expect(maxAbsDiff(out.flat(), expected)).toBeLessThan(1e-5);
    expect(res.headers['x-model-name']).toBe('mlp-tiny');
    expect(res.headers['x-model-version']).toBe('3');
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });

  it('echoes an incoming x-request-id and makes one otherwise', async () => {
    const given = await call(rt.server, 'GET', '/health', undefined, { 'x-request-id': 'abc-123' });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await call(rt.server, 'GET', '/health');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('KServe V1 predict and model status', async () => {
    const res = await call(rt.server, 'POST', '/v1/models/mlp-tiny:predict', {
      instances: chunk(input, 64),
    });
    expect(res.status).toBe(200);
    const predictions = res.body.predictions as number[][];
    expect(maxAbsDiff(predictions.flat(), expected)).toBeLessThan(1e-5);
    expect(res.headers['x-model-version']).toBe('3');
    const status = await call(rt.server, 'GET', '/v1/models/mlp-tiny');
    expect(status.body).toEqual({ name: 'mlp-tiny', ready: true });
    expect(
      (await call(rt.server, 'POST', '/v1/models/other:predict', { instances: [] })).status,
    ).toBe(404);
    expect(
      (await call(rt.server, 'POST', '/v1/models/mlp-tiny:explain', { instances: [] })).status,
    ).toBe(404);
    expect((await call(rt.server, 'GET', '/v1/models/other')).status).toBe(404);
  });

  it('V2 server metadata, health and model metadata', async () => {
    const server = await call(rt.server, 'GET', '/v2');
    expect(server.body).toMatchObject({
      name: 'modeldeploy-runtime',
      extensions: ['binary_tensor_data'],
    });
    expect(typeof server.body.version).toBe('string');
    expect(await call(rt.server, 'GET', '/v2/health/live')).toMatchObject({
      status: 200,
      body: { live: true },
    });
    expect(await call(rt.server, 'GET', '/v2/health/ready')).toMatchObject({
      status: 200,
      body: { ready: true },
    });
    const metadata = {
      name: 'mlp-tiny',
      versions: ['3'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 10] }],
    };
    expect((await call(rt.server, 'GET', '/v2/models/mlp-tiny')).body).toEqual(metadata);
    expect((await call(rt.server, 'GET', '/v2/models/mlp-tiny/versions/3')).body).toEqual(metadata);
    expect((await call(rt.server, 'GET', '/v2/models/mlp-tiny/ready')).body).toEqual({
      name: 'mlp-tiny',
      ready: true,
    });
    expect((await call(rt.server, 'GET', '/v2/models/mlp-tiny/versions/3/ready')).status).toBe(200);
  });

  it('V2 wrong model name or version is 404 with {"error"}', async () => {
    for (const url of [
      '/v2/models/nope',
      '/v2/models/mlp-tiny/versions/9',
      '/v2/models/nope/ready',
    ]) {
      const res = await call(rt.server, 'GET', url);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/not found/);
    }
    const infer = await call(rt.server, 'POST', '/v2/models/mlp-tiny/versions/2/infer', {
      inputs: [],
    });
    expect(infer.status).toBe(404);
    expect(infer.body.error).toMatch(/version '2' not found; this server serves version '3'/);
  });

  it('V2 infer with flat and nested data, id echoed or generated', async () => {
    const flat = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', {
      id: 'req-7',
      inputs: [{ name: 'input', shape: [2, 64], datatype: 'FP32', data: input }],
    });
    expect(flat.status).toBe(200);
    expect(flat.body).toMatchObject({ model_name: 'mlp-tiny', model_version: '3', id: 'req-7' });
    const out = (
      flat.body.outputs as { name: string; shape: number[]; datatype: string; data: number[] }[]
    )[0]!;
    expect(out).toMatchObject({ name: 'output', shape: [2, 10], datatype: 'FP32' });
    expect(maxAbsDiff(out.data, expected)).toBeLessThan(1e-5);
    const nested = await call(rt.server, 'POST', '/v2/models/mlp-tiny/versions/3/infer', {
      parameters: { note: 'x' },
      inputs: [{ name: 'input', shape: [2, 64], datatype: 'FP32', data: chunk(input, 64) }],
      outputs: [{ name: 'output' }],
    });
    expect(nested.status).toBe(200);
    expect(nested.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const nestedOut = (nested.body.outputs as { data: number[] }[])[0]!;
    expect(maxAbsDiff(nestedOut.data, expected)).toBeLessThan(1e-5);
  });

  it('/health, /ready and unknown routes', async () => {
    expect(await call(rt.server, 'GET', '/health')).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await call(rt.server, 'GET', '/ready')).toMatchObject({
      status: 200,
      body: { ready: true, model: 'mlp-tiny', version: '3' },
    });
    const missing = await call(rt.server, 'GET', '/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('no route GET /nothing-here');
    expect(missing.headers['x-model-name']).toBe('mlp-tiny');
  });

  it('/metrics has the runtime metrics with model, version and track labels', async () => {
    await call(rt.server, 'POST', '/predict', { inputs: { input: chunk(input, 64) } });
    const res = await rt.server.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toMatch(
      /modeldeploy_requests_total\{route="\/predict",code="200",protocol="http",model="mlp-tiny",version="3",track="stable"\} \d+/,
    );
    expect(text).toMatch(
      /modeldeploy_request_duration_seconds_bucket\{le="0.0005",[^}]*route="\/predict",code="200",protocol="http"\}/,
    );
    expect(text).toMatch(
      /modeldeploy_request_duration_seconds_bucket\{le="10",[^}]*route="\/predict",code="200",protocol="http"\}/,
    );
    expect(text).toMatch(
      /modeldeploy_requests_total\{route="\/v1\/models\/:name:predict",code="200"/,
    );
    expect(text).toMatch(
      /modeldeploy_requests_total\{route="\/v2\/models\/:name\/infer",code="200"/,
    );
    expect(text).toMatch(
      /modeldeploy_requests_total\{route="\/v2\/models\/:name\/versions\/:version\/infer",code="404"/,
    );
    for (const name of [
      'modeldeploy_queue_duration_seconds_bucket',
      'modeldeploy_inference_duration_seconds_bucket',
      'modeldeploy_batch_size_bucket',
      'modeldeploy_inflight_requests',
      'modeldeploy_queue_depth',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(
      /modeldeploy_model_info\{model="mlp-tiny",version="3",sha256="b70b409c069c570281693803d090271d61c55c4e015690e845c32383f4ddcb77",track="stable"\} 1/,
    );
    expect(text).toMatch(
      /modeldeploy_inflight_requests\{model="mlp-tiny",version="3",track="stable"\} 0/,
    );
  });
});

describe('int64 model with two outputs', () => {
  let rt: TestRuntime;
  const ids = [
    [0, 1, 2, 3],
    [15, 14, 13, 12],
  ];
  const g = goldenFor(MODELS.int64)[0]!;
  const embedding = g.outputs.find((o) => o.name === 'embedding_sum')!.data as number[];
  beforeAll(async () => {
    rt = await startRuntime(MODELS.int64, { MODEL_NAME: 'emb', MODEL_TRACK: 'canary' });
  });
  afterAll(() => rt.close());

  it('V2: INT64 in, INT64 and FP32 out, and output selection', async () => {
    const res = await call(rt.server, 'POST', '/v2/models/emb/infer', {
      inputs: [{ name: 'ids', shape: [2, 4], datatype: 'INT64', data: ids.flat() }],
    });
    expect(res.status).toBe(200);
    const outputs = res.body.outputs as {
      name: string;
      datatype: string;
      shape: number[];
      data: number[];
    }[];
    expect(outputs.map((o) => o.name)).toEqual(['embedding_sum', 'ids_sum']);
    expect(outputs[1]).toEqual({
      name: 'ids_sum',
      datatype: 'INT64',
      shape: [2, 1],
      data: [6, 54],
    });
    expect(maxAbsDiff(outputs[0]!.data, embedding)).toBeLessThan(1e-6);
    const selected = await call(rt.server, 'POST', '/v2/models/emb/infer', {
      inputs: [{ name: 'ids', shape: [2, 4], datatype: 'INT64', data: ids }],
      outputs: [{ name: 'ids_sum' }],
    });
    expect((selected.body.outputs as { name: string }[]).map((o) => o.name)).toEqual(['ids_sum']);
    const unknown = await call(rt.server, 'POST', '/v2/models/emb/infer', {
      inputs: [{ name: 'ids', shape: [2, 4], datatype: 'INT64', data: ids }],
      outputs: [{ name: 'nope' }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(
      /outputs\[0\]\.name: expected one of the model's outputs: embedding_sum, ids_sum/,
    );
  });

  it('/predict with output selection and V1 predictions as objects per row', async () => {
    const predict = await call(rt.server, 'POST', '/predict', {
      inputs: { ids },
      outputs: ['ids_sum'],
    });
    expect(predict.body.outputs).toEqual({ ids_sum: [[6], [54]] });
    const v1 = await call(rt.server, 'POST', '/v1/models/emb:predict', { instances: ids });
    const predictions = v1.body.predictions as { embedding_sum: number[]; ids_sum: number[] }[];
    expect(predictions).toHaveLength(2);
    expect(predictions[1]!.ids_sum).toEqual([54]);
    expect(
      maxAbsDiff(
        predictions.flatMap((p) => p.embedding_sum),
        embedding,
      ),
    ).toBeLessThan(1e-6);
  });

  it('labels metrics with the canary track', async () => {
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(
      /modeldeploy_model_info\{model="emb",version="1",sha256="[0-9a-f]{64}",track="canary"\} 1/,
    );
  });
});

describe('fixed-batch model', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.fixed, { MODEL_NAME: 'fixed' });
  });
  afterAll(() => rt.close());

  it('reports its fixed batch dimension and takes exactly one row', async () => {
    const meta = await call(rt.server, 'GET', '/v2/models/fixed');
    expect((meta.body.inputs as { shape: number[] }[])[0]!.shape).toEqual([1, 64]);
    const g = goldenFor(MODELS.fixed)[0]!;
    const one = await call(rt.server, 'POST', '/predict', {
      inputs: { input: [g.inputs[0]!.data] },
    });
    expect(one.status).toBe(200);
    const out = (one.body.outputs as { output: number[][] }).output.flat();
    expect(maxAbsDiff(out, g.outputs[0]!.data as number[])).toBeLessThan(1e-5);
    const two = await call(rt.server, 'POST', '/predict', {
      inputs: { input: [g.inputs[0]!.data, g.inputs[0]!.data] },
    });
    expect(two.status).toBe(400);
    expect(two.body.error).toBe("input 'input': expected shape [1,64] (-1 = any size), got [2,64]");
  });
});

describe('a model with two inputs', () => {
  let rt: TestRuntime;
  const a = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const b = [
    [10, 20, 30],
    [40, 50, 60],
  ];
  beforeAll(async () => {
    rt = await startRuntime(MODELS.twoInputs, { MODEL_NAME: 'pair', BATCH_MAX_DELAY_MS: '20' });
  });
  afterAll(() => rt.close());

  it('takes both inputs on every protocol', async () => {
    const predict = await call(rt.server, 'POST', '/predict', { inputs: { a, b } });
    expect(predict.body.outputs).toEqual({
      sum: [
        [11, 22, 33],
        [44, 55, 66],
      ],
    });
    const v1 = await call(rt.server, 'POST', '/v1/models/pair:predict', {
      instances: [
        { a: a[0], b: b[0] },
        { a: a[1], b: b[1] },
      ],
    });
    expect(v1.body.predictions).toEqual([
      [11, 22, 33],
      [44, 55, 66],
    ]);
    const v2 = await call(rt.server, 'POST', '/v2/models/pair/infer', {
      inputs: [
        { name: 'b', shape: [2, 3], datatype: 'FP32', data: b.flat() },
        { name: 'a', shape: [2, 3], datatype: 'FP32', data: a },
      ],
    });
    expect((v2.body.outputs as { data: number[] }[])[0]!.data).toEqual([11, 22, 33, 44, 55, 66]);
  });

  it('joins concurrent two-input requests and splits them back', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(rt.server, 'POST', '/predict', { inputs: { a: [[i, i, i]], b: [[1, 2, 3]] } }),
      ),
    );
    results.forEach((r, i) => expect(r.body.outputs).toEqual({ sum: [[i + 1, i + 2, i + 3]] }));
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/modeldeploy_batch_size_bucket\{le="1",[^}]*\} 0/);
  });

  it('rejects a missing input and inputs that disagree on the batch size', async () => {
    const missing = await call(rt.server, 'POST', '/v2/models/pair/infer', {
      inputs: [{ name: 'a', shape: [2, 3], datatype: 'FP32', data: a }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe("missing input 'b'");
    const rows = await call(rt.server, 'POST', '/predict', { inputs: { a, b: [b[0]] } });
    expect(rows.status).toBe(400);
    expect(rows.body.error).toBe("input 'b' has 1 rows but input 'a' has 2; they must match");
    const v1 = await call(rt.server, 'POST', '/v1/models/pair:predict', { instances: [[1, 2, 3]] });
    expect(v1.body.error).toMatch(/instances\[0\]: this model has several inputs/);
    const v1missing = await call(rt.server, 'POST', '/v1/models/pair:predict', {
      instances: [{ a: a[0] }],
    });
    expect(v1missing.body.error).toBe("instances[0]: missing input 'b'");
  });
});
