import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SHADOW_MARKER_HEADER } from '../../runtime/src/shadow/mirror-request.js';
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
import { writeIdentityModel } from './identity-model.js';

/**
 * Stable runtimes mirroring to real shadow runtimes (or a loopback stand-in that holds
 * requests) on loopback: the user's answer never waits for the shadow, the number of copies
 * in flight is bounded, and the comparison names the right reason for real models.
 */

const golden = goldenFor(MODELS.tiny)[0]!;
const ROW = golden.inputs[0]!.data.slice(0, 64) as number[];
const EXPECTED = golden.outputs[0]!.data.slice(0, 10) as number[];

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function runtime(model: string, env: Record<string, string>): Promise<TestRuntime> {
  const rt = await startRuntime(model, { MODEL_NAME: 'mlp-tiny', ...env }, { listen: true });
  cleanup.push(() => rt.close());
  return rt;
}

async function holding(upstream?: string): Promise<HoldingShadow> {
  const shadow = await startHoldingShadow(upstream);
  cleanup.push(() => shadow.close());
  return shadow;
}

interface ShadowCounts {
  mirrored: number;
  dropped: number;
  compared: number;
  shape: number;
  argmax: number;
  value: number;
  error: number;
  unreachable: number;
}

async function counts(rt: TestRuntime): Promise<ShadowCounts> {
  const text = await rt.server.metrics.registry.metrics();
  const value = (name: string, labels: Record<string, string> = {}): number =>
    metricValue(text, `modeldeploy_shadow_${name}`, labels) ?? NaN;
  const reason = (r: string): number => value('disagreed_total', { reason: r });
  return {
    mirrored: value('mirrored_total'),
    dropped: value('dropped_total'),
    compared: value('compared_total'),
    shape: reason('shape'),
    argmax: reason('argmax'),
    value: reason('value'),
    error: reason('error'),
    unreachable: value('unreachable_total'),
  };
}

const predictBody = { inputs: { input: [ROW] } };

describe('mirroring to the shadow', () => {
  it("answers the user while the shadow still holds its copy, then compares; the copy carries the deployment's key, not the user's credentials", async () => {
    const shadowRuntime = await runtime(MODELS.tiny, { MODEL_TRACK: 'shadow' });
    const shadow = await holding(shadowRuntime.url);
    const stable = await runtime(MODELS.tiny, {
      SHADOW_TARGET_URL: shadow.url,
      SHADOW_PERCENT: '100',
      SHADOW_TIMEOUT_MS: '60000',
      API_KEYS: 'deployment-key,user-key',
    });
    const body = JSON.stringify({
      inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }],
    });
    const res = await fetch(`${stable.url}/v2/models/mlp-tiny/versions/1/infer`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'user-key',
        cookie: 'session=secret',
        'x-request-id': 'user-request-1',
      },
      body,
    });
    // The user has the answer; only now does the test look for the copy, still held.
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { outputs: { data: number[] }[] };
    expect(maxAbsDiff(answer.outputs[0]!.data, EXPECTED)).toBeLessThan(1e-4);
    await waitUntil(() => shadow.held() === 1);
    expect(await counts(stable)).toMatchObject({ mirrored: 1, compared: 0 });

    await shadow.release();
    await waitUntil(async () => (await counts(stable)).compared === 1);
    expect(await counts(stable)).toMatchObject({ shape: 0, argmax: 0, value: 0, error: 0 });
    const copy = shadow.received[0]!;
    expect(copy.url).toBe('/v2/models/mlp-tiny/infer');
    expect(JSON.parse(copy.body.toString())).toEqual(JSON.parse(body));
    expect(copy.headers).toMatchObject({
      'x-api-key': 'deployment-key',
      'x-request-id': 'user-request-1',
      [SHADOW_MARKER_HEADER]: '1',
    });
    expect(copy.headers.cookie).toBeUndefined();

    // A request that is itself a copy is never copied again.
    const marked = await fetch(`${stable.url}/predict`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'user-key',
        [SHADOW_MARKER_HEADER]: '1',
      },
      body: JSON.stringify(predictBody),
    });
    expect(marked.status).toBe(200);
    expect((await counts(stable)).mirrored).toBe(1);
    expect(shadow.received).toHaveLength(1);
  });

  it('keeps at most SHADOW_MAX_INFLIGHT copies in flight under 1000 concurrent requests and counts the rest as dropped', async () => {
    const shadow = await holding();
    const stable = await runtime(MODELS.tiny, {
      SHADOW_TARGET_URL: shadow.url,
      SHADOW_PERCENT: '100',
      SHADOW_MAX_INFLIGHT: '8',
      SHADOW_TIMEOUT_MS: '60000',
      BATCH_MAX_QUEUE: '2000',
    });
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => call(stable.server, 'POST', '/predict', predictBody)),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1000);
    await waitUntil(async () => {
      const c = await counts(stable);
      return c.mirrored + c.dropped === 1000 && shadow.held() === c.mirrored;
    });
    expect(await counts(stable)).toMatchObject({ mirrored: 8, dropped: 992, compared: 0 });
    expect(shadow.maxHeld()).toBe(8);

    // Answered 503 by the stand-in: each held copy becomes an error verdict.
    await shadow.release();
    await waitUntil(async () => (await counts(stable)).compared === 8);
    expect(await counts(stable)).toMatchObject({ error: 8, shape: 0, argmax: 0, value: 0 });
  });

  it('serves as usual with a dead shadow and counts its copies as unreachable, not as disagreements', async () => {
    const deadPort = await freePort();
    const stable = await runtime(MODELS.tiny, {
      SHADOW_TARGET_URL: `http://127.0.0.1:${deadPort}`,
      SHADOW_PERCENT: '100',
    });
    for (let i = 0; i < 20; i++) {
      const res = await call(stable.server, 'POST', '/predict', predictBody);
      expect(res.status).toBe(200);
      const outputs = res.body.outputs as { output: number[][] };
      expect(maxAbsDiff(outputs.output[0]!, EXPECTED)).toBeLessThan(1e-4);
    }
    await waitUntil(async () => (await counts(stable)).unreachable === 20);
    expect(await counts(stable)).toEqual({
      mirrored: 20,
      dropped: 0,
      compared: 0,
      shape: 0,
      argmax: 0,
      value: 0,
      error: 0,
      unreachable: 20,
    });
  });

  it('compares only the copies that reached the shadow once its address starts to route (as kube-proxy does after a shadow pod turns Ready)', async () => {
    const shadow = await runtime(MODELS.tiny, { MODEL_TRACK: 'shadow' });
    const routedPort = await freePort();
    const stable = await runtime(MODELS.tiny, {
      SHADOW_TARGET_URL: `http://127.0.0.1:${routedPort}`,
      SHADOW_PERCENT: '100',
    });
    const predictTen = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        expect((await call(stable.server, 'POST', '/predict', predictBody)).status).toBe(200);
      }
    };
    await predictTen();
    await waitUntil(async () => (await counts(stable)).unreachable === 10);
    const route = await relay(routedPort, Number(new URL(shadow.url).port));
    cleanup.push(() => route.close());
    await predictTen();
    await waitUntil(async () => (await counts(stable)).compared === 10);
    expect(await counts(stable)).toEqual({
      mirrored: 20,
      dropped: 0,
      compared: 10,
      shape: 0,
      argmax: 0,
      value: 0,
      error: 0,
      unreachable: 10,
    });
  });
});

describe('comparing real models over every protocol', () => {
  const identity = writeIdentityModel(mkdtempSync(join(tmpdir(), 'md-shadow-')), 64);
  const cases = [
    { name: 'the same model agrees', shadow: MODELS.tiny, tolerance: '0', reason: undefined },
    {
      name: 'another model within a wide tolerance agrees',
      shadow: MODELS.tinyV2,
      tolerance: '1000',
      reason: undefined,
    },
    {
      name: 'another model beyond the tolerance disagrees on the argmax',
      shadow: MODELS.tinyV2,
      tolerance: '0.0001',
      reason: 'argmax',
    },
    {
      name: 'a model with another output shape disagrees on shape',
      shadow: identity,
      tolerance: '0',
      reason: 'shape',
    },
  ] as const;

  it.each(cases)('$name', async ({ shadow, tolerance, reason }) => {
    const shadowRuntime = await runtime(shadow, { MODEL_TRACK: 'shadow' });
    const stable = await runtime(MODELS.tiny, {
      SHADOW_TARGET_URL: shadowRuntime.url,
      SHADOW_PERCENT: '100',
      SHADOW_TOLERANCE: tolerance,
      SHADOW_TIMEOUT_MS: '30000',
    });
    const v2 = { inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: ROW }] };
    const requests = await Promise.all([
      call(stable.server, 'POST', '/predict', predictBody),
      call(stable.server, 'POST', '/v1/models/mlp-tiny:predict', { instances: [ROW] }),
      call(stable.server, 'POST', '/v2/models/mlp-tiny/infer', v2),
      call(stable.server, 'POST', '/v2/models/mlp-tiny/infer', {
        ...v2,
        parameters: { binary_data_output: true },
      }),
      stable.server.app.inject({
        method: 'POST',
        url: '/predict',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        payload: gzipSync(JSON.stringify(predictBody)),
      }),
    ]);
    expect(requests.map((r) => ('status' in r ? r.status : r.statusCode))).toEqual([
      200, 200, 200, 200, 200,
    ]);
    await waitUntil(async () => (await counts(stable)).compared === 5);
    const c = await counts(stable);
    expect(c.error).toBe(0);
    const expected = { shape: 0, argmax: 0, value: 0, error: 0 };
    expect(c).toMatchObject(reason === undefined ? expected : { ...expected, [reason]: 5 });
  });
});

/** A loopback TCP relay from `port` to `target`: the shadow's address starting to route. */
async function relay(port: number, target: number): Promise<{ close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
