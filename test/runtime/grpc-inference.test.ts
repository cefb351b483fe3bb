import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { buildServer } from '../../runtime/src/server.js';
import {
  fp32Bytes,
  fp32FromBytes,
  grpcClient,
  startGrpcRuntime,
  type GrpcTestRuntime,
} from './grpc-client.js';
import { call, goldenFor, maxAbsDiff, metricValue, MODELS, testConfig } from './helpers.js';

const tinyGolden = goldenFor(MODELS.tiny)[0]!;
const goldenInput = tinyGolden.inputs[0]!;
const goldenOutput = tinyGolden.outputs[0]!;
const tolerance = tinyGolden.tolerance ?? 1e-4;
const flat = (data: unknown): number[] => (data as unknown[]).flat(Infinity) as number[];

function rawRequest(values: readonly number[], rows: number) {
  return {
    model_name: 'mlp-tiny',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 64] }],
    raw_input_contents: [fp32Bytes(values)],
  };
}

function typedRequest(values: readonly number[], rows: number, datatype = 'FP32') {
  return {
    model_name: 'mlp-tiny',
    id: 'typed-1',
    inputs: [{ name: 'input', datatype, shape: [rows, 64], contents: { fp32_contents: values } }],
  };
}

/** The message the REST V2 route gives for the same request, for comparison. */
async function httpError(rt: GrpcTestRuntime, body: unknown): Promise<string> {
  const res = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', body);
  return String(res.body['error']);
}

describe('Open Inference Protocol V2 over gRPC', () => {
  let rt: GrpcTestRuntime;
  beforeAll(async () => {
    rt = await startGrpcRuntime(MODELS.tiny, {
      MODEL_NAME: 'mlp-tiny',
      MODEL_VERSION: '3',
      REQUEST_MAX_ROWS: '4',
    });
  });
  afterAll(() => rt.close());

  it('answers health and metadata as the REST V2 routes do', async () => {
    expect(await rt.grpc.call('ServerLive')).toEqual({ live: true });
    expect(await rt.grpc.call('ServerReady')).toEqual({ ready: true });
    expect(await rt.grpc.call('ModelReady', { name: 'mlp-tiny' })).toEqual({ ready: true });
    expect(await rt.grpc.call('ModelReady', { name: 'mlp-tiny', version: '3' })).toEqual({
      ready: true,
    });
    const server = await rt.grpc.call('ServerMetadata');
    expect(server['name']).toBe('modeldeploy-runtime');
    expect(server['version']).toMatch(/^\d+\.\d+\.\d+/);
    const metadata = await rt.grpc.call('ModelMetadata', { name: 'mlp-tiny' });
    const rest = await call(rt.server, 'GET', '/v2/models/mlp-tiny');
    expect(metadata).toEqual({
      name: 'mlp-tiny',
      versions: ['3'],
      platform: 'onnxruntime_onnx',
      inputs: rest.body['inputs'],
      outputs: rest.body['outputs'],
    });
    expect(metadata['inputs']).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);
  });

  it('answers NOT_FOUND for another model or version, with the REST message', async () => {
    const other = await rt.grpc.fail('ModelMetadata', { name: 'resnet' });
    expect(other.code).toBe(status.NOT_FOUND);
    const rest = await call(rt.server, 'GET', '/v2/models/resnet');
    expect(other.details).toBe(rest.body['error']);
    const version = await rt.grpc.fail('ModelInfer', {
      ...rawRequest(flat(goldenInput.data), 2),
      model_version: '9',
    });
    expect(version.code).toBe(status.NOT_FOUND);
    expect(version.details).toBe(
      "model 'mlp-tiny' version '9' not found; this server serves version '3'",
    );
    expect((await rt.grpc.fail('ModelReady', { name: 'x' })).code).toBe(status.NOT_FOUND);
  });

  it('infers from raw_input_contents and answers raw_output_contents: the golden answer', async () => {
    const answer = await rt.grpc.call('ModelInfer', rawRequest(flat(goldenInput.data), 2));
    expect(answer['model_name']).toBe('mlp-tiny');
    expect(answer['model_version']).toBe('3');
    expect(answer['id']).toMatch(/^[0-9a-f-]{36}$/);
    const outputs = answer['outputs'] as { name: string; datatype: string; shape: number[] }[];
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['output', 'FP32', [2, 10]],
    ]);
    const raw = answer['raw_output_contents'] as Buffer[];
    expect(raw).toHaveLength(1);
    expect(maxAbsDiff(fp32FromBytes(raw[0]!), flat(goldenOutput.data))).toBeLessThanOrEqual(
      tolerance,
    );
  });

  it('infers from typed contents and answers typed contents: the golden answer', async () => {
    const answer = await rt.grpc.call('ModelInfer', typedRequest(flat(goldenInput.data), 2));
    expect(answer['id']).toBe('typed-1');
    expect(answer['raw_output_contents']).toEqual([]);
    const [output] = answer['outputs'] as {
      shape: number[];
      contents: { fp32_contents: number[] };
    }[];
    expect(output!.shape).toEqual([2, 10]);
    expect(maxAbsDiff(output!.contents.fp32_contents, flat(goldenOutput.data))).toBeLessThanOrEqual(
      tolerance,
    );
  });

  it('sends the REST headers as metadata, and x-non-finite-outputs with exact non-finite values', async () => {
    const finite = await rt.grpc.callWithMetadata(
      'ModelInfer',
      rawRequest(flat(goldenInput.data), 2),
    );
    expect(finite.metadata).toMatchObject({ 'x-model-name': 'mlp-tiny', 'x-model-version': '3' });
    expect(finite.metadata['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(finite.metadata).not.toHaveProperty('x-non-finite-outputs');
    // The largest FP32 inputs overflow the first layer's sums to ±Infinity (as in validation.test.ts).
    const huge = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 3.4e38 : -3.4e38));
    const { response, metadata } = await rt.grpc.callWithMetadata(
      'ModelInfer',
      rawRequest(huge, 1),
    );
    const output = fp32FromBytes((response['raw_output_contents'] as Buffer[])[0]!);
    const nonFinite = output.filter((v) => !Number.isFinite(v)).length;
    expect(nonFinite).toBeGreaterThan(0);
    expect(metadata['x-non-finite-outputs']).toBe(`output=${nonFinite}`);
  });

  it('refuses bad requests with INVALID_ARGUMENT and the messages of the REST route', async () => {
    const values = flat(goldenInput.data);
    const wrongType = await rt.grpc.fail('ModelInfer', typedRequest(values, 2, 'FP64'));
    expect(wrongType.code).toBe(status.INVALID_ARGUMENT);
    expect(wrongType.details).toBe(
      await httpError(rt, {
        inputs: [{ name: 'input', datatype: 'FP64', shape: [2, 64], data: values }],
      }),
    );
    const unknown = await rt.grpc.fail('ModelInfer', {
      ...rawRequest(values, 2),
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 64] }],
    });
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(unknown.details).toBe("unknown input 'pixels'");
    const short = await rt.grpc.fail('ModelInfer', rawRequest(values.slice(0, 100), 2));
    expect(short.code).toBe(status.INVALID_ARGUMENT);
    expect(short.details).toBe(
      "input 'input': raw_input_contents has 400 bytes; shape [2,64] of FP32 needs 512",
    );
    const nonFinite = await rt.grpc.fail('ModelInfer', rawRequest([NaN, ...values.slice(1)], 2));
    expect(nonFinite.code).toBe(status.INVALID_ARGUMENT);
    expect(nonFinite.details).toMatch(/element 0 \(row-major\) is NaN, expected a finite number/);
    const wrongField = await rt.grpc.fail('ModelInfer', {
      model_name: 'mlp-tiny',
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [1, 64],
          contents: { int_contents: values.slice(0, 64) },
        },
      ],
    });
    expect(wrongField.details).toBe(
      "input 'input': FP32 elements go in contents.fp32_contents, not contents.int_contents",
    );
    const output = await rt.grpc.fail('ModelInfer', {
      ...rawRequest(values, 2),
      outputs: [{ name: 'logits' }],
    });
    expect(output.code).toBe(status.INVALID_ARGUMENT);
    expect(output.details).toBe(
      await httpError(rt, {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 64], data: values }],
        outputs: [{ name: 'logits' }],
      }),
    );
  });

  it('refuses more rows than REQUEST_MAX_ROWS with RESOURCE_EXHAUSTED (413 on REST)', async () => {
    const rows = Array.from({ length: 5 * 64 }, () => 0.5);
    const err = await rt.grpc.fail('ModelInfer', rawRequest(rows, 5));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toBe(
      "input 'input': 5 rows is more than REQUEST_MAX_ROWS=4; split the request",
    );
  });

  it('counts its calls in modeldeploy_requests_total by method and HTTP-equivalent code', async () => {
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const route = '/inference.GRPCInferenceService/ModelInfer';
    expect(
      metricValue(text, 'modeldeploy_requests_total', { route, code: '200' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      metricValue(text, 'modeldeploy_requests_total', { route, code: '400' }),
    ).toBeGreaterThanOrEqual(5);
    expect(metricValue(text, 'modeldeploy_requests_total', { route, code: '413' })).toBe(1);
    expect(metricValue(text, 'modeldeploy_inflight_requests')).toBe(0);
    expect(
      metricValue(text, 'modeldeploy_request_duration_seconds_count', { route, code: '200' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('labels its request series protocol="grpc", and REST series protocol="http"', async () => {
    await rt.server.app.inject({ method: 'GET', url: '/v2/health/live' });
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const series = text
      .split('\n')
      .filter((l) => /^modeldeploy_request(s_total|_duration_seconds_count)\{/.test(l));
    const grpc = series.filter((l) => l.includes('route="/inference.GRPCInferenceService/'));
    const rest = series.filter((l) => l.includes('route="/v2/health/live"'));
    expect(grpc.length).toBeGreaterThanOrEqual(2);
    expect(rest).toHaveLength(2);
    for (const line of grpc) expect(line).toContain('protocol="grpc"');
    for (const line of rest) expect(line).toContain('protocol="http"');
  });
});

describe('gRPC while the model loads and while draining', () => {
  it('answers UNAVAILABLE with retry-after while loading, and not ready', async () => {
    const config = testConfig(MODELS.tiny, { MODEL_NAME: 'mlp-tiny' });
    const server = await buildServer(config);
    const port = await server.grpc!.listen('127.0.0.1', 0);
    const client = grpcClient(`127.0.0.1:${port}`);
    try {
      expect(await client.call('ServerReady')).toEqual({ ready: false });
      expect(await client.call('ServerLive')).toEqual({ live: true });
      const err = await client.fail('ModelInfer', rawRequest(flat(goldenInput.data), 2));
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(err.details).toBe("model 'mlp-tiny' version '1' is loading");
      expect(err.metadata.get('retry-after')).toEqual(['1']);
    } finally {
      client.close();
      await server.shutdown();
    }
  });

  it('finishes a call in flight at shutdown, then accepts no more', async () => {
    const config = testConfig(MODELS.tiny, {
      MODEL_NAME: 'mlp-tiny',
      BATCH_DISPATCH: 'delay',
      BATCH_MAX_DELAY_MS: '60000',
    });
    const server = await buildServer(config, await loadModel(config));
    const port = await server.grpc!.listen('127.0.0.1', 0);
    const client = grpcClient(`127.0.0.1:${port}`);
    try {
      const inFlight = client.call('ModelInfer', rawRequest(flat(goldenInput.data), 2));
      // The request waits in the batcher for its 60 s delay; shutdown sends it at once.
      for (let i = 0; i < 500 && server.state.serving?.batcher.depth !== 1; i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(server.state.serving?.batcher.depth).toBe(1);
      const stopped = server.shutdown();
      const answer = await inFlight;
      const raw = answer['raw_output_contents'] as Buffer[];
      expect(maxAbsDiff(fp32FromBytes(raw[0]!), flat(goldenOutput.data))).toBeLessThanOrEqual(
        tolerance,
      );
      await stopped;
      const after: ServiceError = await client.fail('ServerLive');
      expect(after.code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });
});

describe('gRPC with INT64 tensors (typed int64_contents and raw bytes)', () => {
  let rt: GrpcTestRuntime;
  const golden = goldenFor(MODELS.int64)[0]!;
  const ids = flat(golden.inputs[0]!.data);
  const [embedding, idsSum] = golden.outputs as { data: number[] }[];
  beforeAll(async () => {
    rt = await startGrpcRuntime(MODELS.int64, { MODEL_NAME: 'emb' });
  });
  afterAll(() => rt.close());

  it('answers typed INT64 input with typed FP32 and INT64 outputs', async () => {
    const answer = await rt.grpc.call('ModelInfer', {
      model_name: 'emb',
      inputs: [
        { name: 'ids', datatype: 'INT64', shape: [2, 4], contents: { int64_contents: ids } },
      ],
    });
    const outputs = answer['outputs'] as {
      name: string;
      datatype: string;
      shape: number[];
      contents: { fp32_contents: number[]; int64_contents: number[] };
    }[];
    expect(outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['embedding_sum', 'FP32', [2, 2]],
      ['ids_sum', 'INT64', [2, 1]],
    ]);
    expect(maxAbsDiff(outputs[0]!.contents.fp32_contents, embedding!.data)).toBeLessThanOrEqual(
      golden.tolerance!,
    );
    expect(outputs[1]!.contents.int64_contents).toEqual(idsSum!.data);
  });

  it('answers raw INT64 bytes with raw outputs, and refuses an id the model cannot take', async () => {
    const raw = Buffer.from(BigInt64Array.from(ids.map((v) => BigInt(v))).buffer);
    const answer = await rt.grpc.call('ModelInfer', {
      model_name: 'emb',
      inputs: [{ name: 'ids', datatype: 'INT64', shape: [2, 4] }],
      raw_input_contents: [raw],
      outputs: [{ name: 'ids_sum' }],
    });
    const [sum] = answer['raw_output_contents'] as Buffer[];
    const copy = Buffer.from(sum!);
    expect(Array.from(new BigInt64Array(copy.buffer, copy.byteOffset, 2), Number)).toEqual(
      idsSum!.data,
    );
    const outOfRange = await rt.grpc.fail('ModelInfer', {
      model_name: 'emb',
      inputs: [
        {
          name: 'ids',
          datatype: 'INT64',
          shape: [1, 4],
          contents: { int64_contents: [0, 1, 2, 99] },
        },
      ],
    });
    expect(outOfRange.code).toBe(status.INVALID_ARGUMENT);
    const rest = await call(rt.server, 'POST', '/v2/models/emb/infer', {
      inputs: [{ name: 'ids', datatype: 'INT64', shape: [1, 4], data: [0, 1, 2, 99] }],
    });
    expect(rest.status).toBe(400);
    expect(outOfRange.details).toBe(rest.body['error']);
  });
});

describe('a gRPC message over BODY_LIMIT_BYTES', () => {
  let rt: GrpcTestRuntime;
  beforeAll(async () => {
    rt = await startGrpcRuntime(MODELS.tiny, { MODEL_NAME: 'mlp-tiny', BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => rt.close());

  // grpc-js refuses the message from its length prefix, below the handlers and the server
  // interceptors, and writes the status itself: the text is grpc-js's, not the REST 413's,
  // and the call never reaches the request metrics. Pinned so an upgrade that changes it shows.
  it("is refused with RESOURCE_EXHAUSTED and grpc-js's message naming the limit", async () => {
    const rows = 32;
    const err = await rt.grpc.fail(
      'ModelInfer',
      rawRequest(
        Array.from({ length: rows * 64 }, () => 0.5),
        rows,
      ),
    );
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/^Received message larger than max \(\d+ vs\.? 4096\)$/);
    const text = (await rt.server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const route = '/inference.GRPCInferenceService/ModelInfer';
    expect(metricValue(text, 'modeldeploy_requests_total', { route, code: '413' })).toBeUndefined();
    // A request under the limit on the same runtime is served.
    const ok = await rt.grpc.call(
      'ModelInfer',
      rawRequest(
        Array.from({ length: 64 }, () => 0.5),
        1,
      ),
    );
    expect(ok['model_name']).toBe('mlp-tiny');
  });
});
