import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SHADOW_MARKER_HEADER } from '../../runtime/src/shadow/mirror-request.js';
import { fp32Bytes, fp32FromBytes, startGrpcRuntime, type GrpcTestRuntime } from './grpc-client.js';
import {
  call,
  goldenFor,
  maxAbsDiff,
  metricValue,
  MODELS,
  startRuntime,
  waitUntil,
  type TestRuntime,
} from './helpers.js';
import { startHoldingShadow, type HoldingShadow } from './holding-shadow.js';

/**
 * A stable runtime answering V2 gRPC ModelInfer calls from a real grpc-js client mirrors
 * them to a real shadow runtime's HTTP port on loopback (directly, or through a stand-in
 * that holds each copy): the user's answer never waits for the copy, and the shadow's
 * answer is compared with the one the gRPC user got.
 */

const golden = goldenFor(MODELS.tiny)[0]!;
const ROW = golden.inputs[0]!.data.slice(0, 64) as number[];
const EXPECTED = golden.outputs[0]!.data.slice(0, 10) as number[];

const rawRequest = {
  model_name: 'mlp-tiny',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [fp32Bytes(ROW)],
};
const typedRequest = {
  model_name: 'mlp-tiny',
  id: 'typed-1',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: ROW } }],
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function shadowRuntime(model: string): Promise<TestRuntime> {
  const rt = await startRuntime(
    model,
    { MODEL_NAME: 'mlp-tiny', MODEL_TRACK: 'shadow' },
    {
      listen: true,
    },
  );
  cleanup.push(() => rt.close());
  return rt;
}

async function stableRuntime(env: Record<string, string>): Promise<GrpcTestRuntime> {
  const rt = await startGrpcRuntime(MODELS.tiny, {
    MODEL_NAME: 'mlp-tiny',
    SHADOW_PERCENT: '100',
    ...env,
  });
  cleanup.push(() => rt.close());
  return rt;
}

async function holding(upstream?: string): Promise<HoldingShadow> {
  const shadow = await startHoldingShadow(upstream);
  cleanup.push(() => shadow.close());
  return shadow;
}

async function counts(rt: TestRuntime): Promise<Record<string, number>> {
  const text = await rt.server.metrics.registry.metrics();
  const value = (name: string, labels: Record<string, string> = {}): number =>
    metricValue(text, `modeldeploy_shadow_${name}`, labels) ?? NaN;
  return {
    mirrored: value('mirrored_total'),
    dropped: value('dropped_total'),
    compared: value('compared_total'),
    unreachable: value('unreachable_total'),
    ...Object.fromEntries(
      ['shape', 'argmax', 'value', 'error'].map((r) => [
        r,
        value('disagreed_total', { reason: r }),
      ]),
    ),
  };
}

function rawOutput(answer: Record<string, unknown>): number[] {
  return fp32FromBytes((answer['raw_output_contents'] as Buffer[])[0]!);
}

describe('mirroring gRPC ModelInfer to the shadow', () => {
  it("answers the gRPC user while the shadow still holds the copy, then compares; the copy carries the deployment's key, not the user's credentials", async () => {
    const shadow = await holding((await shadowRuntime(MODELS.tiny)).url);
    const stable = await stableRuntime({
      SHADOW_TARGET_URL: shadow.url,
      SHADOW_TIMEOUT_MS: '60000',
      API_KEYS: 'deployment-key,user-key',
    });
    const answer = await stable.grpc.call('ModelInfer', rawRequest, {
      'x-api-key': 'user-key',
      authorization: 'Bearer user-key',
      'x-request-id': 'grpc-user-1',
      'x-tenant': 'acme',
    });
    // The user has the answer; only now does the test look for the copy, still held.
    expect(maxAbsDiff(rawOutput(answer), EXPECTED)).toBeLessThan(1e-4);
    await waitUntil(() => shadow.held() === 1);
    expect(await counts(stable)).toMatchObject({ mirrored: 1, compared: 0 });

    await shadow.release();
    await waitUntil(async () => (await counts(stable)).compared === 1);
    expect(await counts(stable)).toMatchObject({ shape: 0, argmax: 0, value: 0, error: 0 });
    const copy = shadow.received[0]!;
    expect(copy.url).toBe('/v2/models/mlp-tiny/infer');
    expect(copy.headers).toMatchObject({
      'x-api-key': 'deployment-key',
      'x-request-id': 'grpc-user-1',
      'x-tenant': 'acme',
      'content-type': 'application/octet-stream',
      [SHADOW_MARKER_HEADER]: '1',
    });
    expect(copy.headers.authorization).toBeUndefined();
    // The V2 binary extension: the JSON part, then the user's raw bytes unchanged.
    const jsonLength = Number(copy.headers['inference-header-content-length']);
    expect(JSON.parse(copy.body.subarray(0, jsonLength).toString())).toEqual({
      inputs: [
        { name: 'input', datatype: 'FP32', shape: [1, 64], parameters: { binary_data_size: 256 } },
      ],
    });
    expect(copy.body.subarray(jsonLength).equals(fp32Bytes(ROW))).toBe(true);

    // A call carrying the copy marker is never copied.
    await stable.grpc.call('ModelInfer', rawRequest, {
      'x-api-key': 'user-key',
      [SHADOW_MARKER_HEADER]: '1',
    });
    expect((await counts(stable)).mirrored).toBe(1);
    expect(shadow.received).toHaveLength(1);
  });

  const cases = [
    { name: 'the same model agrees', model: MODELS.tiny, tolerance: '0', reason: undefined },
    {
      name: 'mlp-tiny-v2 disagrees on the argmax',
      model: MODELS.tinyV2,
      tolerance: '0.0001',
      reason: 'argmax',
    },
  ] as const;

  it.each(cases)('$name, for raw and typed contents', async ({ model, tolerance, reason }) => {
    const shadow = await shadowRuntime(model);
    const stable = await stableRuntime({
      SHADOW_TARGET_URL: shadow.url,
      SHADOW_TOLERANCE: tolerance,
      SHADOW_TIMEOUT_MS: '30000',
    });
    const [raw, typed] = await Promise.all([
      stable.grpc.call('ModelInfer', rawRequest),
      stable.grpc.call('ModelInfer', typedRequest),
    ]);
    expect(maxAbsDiff(rawOutput(raw!), EXPECTED)).toBeLessThan(1e-4);
    const typedOutputs = typed!['outputs'] as { contents: { fp32_contents: number[] } }[];
    expect(maxAbsDiff(typedOutputs[0]!.contents.fp32_contents, EXPECTED)).toBeLessThan(1e-4);
    await waitUntil(async () => (await counts(stable)).compared === 2, 30_000);
    const expected = { mirrored: 2, shape: 0, argmax: 0, value: 0, error: 0 };
    expect(await counts(stable)).toMatchObject(
      reason === undefined ? expected : { ...expected, [reason]: 2 },
    );
  });

  it('samples REST requests and gRPC calls with one SHADOW_PERCENT count', async () => {
    const shadow = await holding();
    const stable = await stableRuntime({
      SHADOW_TARGET_URL: shadow.url,
      SHADOW_PERCENT: '50',
      SHADOW_TIMEOUT_MS: '60000',
    });
    // At 50 % every second request is picked: the REST request is first, the gRPC call
    // second. Two separate counts would each be at their first request and pick neither.
    const rest = await call(stable.server, 'POST', '/predict', { inputs: { input: [ROW] } });
    expect(rest.status).toBe(200);
    await stable.grpc.call('ModelInfer', typedRequest);
    await waitUntil(() => shadow.held() === 1);
    expect(shadow.received[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(shadow.received[0]!.body.toString())).toMatchObject({ id: 'typed-1' });
    expect((await counts(stable)).mirrored).toBe(1);
  });

  it('answers every call with a dead shadow and counts its copies as unreachable', async () => {
    const deadPort = await freePort();
    const stable = await stableRuntime({ SHADOW_TARGET_URL: `http://127.0.0.1:${deadPort}` });
    for (let i = 0; i < 20; i++) {
      const answer = await stable.grpc.call('ModelInfer', rawRequest);
      expect(maxAbsDiff(rawOutput(answer), EXPECTED)).toBeLessThan(1e-4);
    }
    await waitUntil(async () => (await counts(stable)).unreachable === 20);
    expect(await counts(stable)).toEqual({
      mirrored: 20,
      dropped: 0,
      compared: 0,
      unreachable: 20,
      shape: 0,
      argmax: 0,
      value: 0,
      error: 0,
    });
  });
});

/** A loopback port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
