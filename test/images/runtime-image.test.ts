/**
 * The runtime image as a platform team runs it: a hardened container (read-only root,
 * tmpfs /tmp, no capabilities) with the example model mounted read-only, reached through
 * a loopback-mapped port. The answers must match the golden outputs the model script
 * wrote, the process must not be root, and SIGTERM must lose no accepted request.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Network, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseUrl,
  containerLogs,
  removeContainer,
  startModelServer,
  startRuntime,
  stopGracefully,
} from './containers.js';
import { expectClose, loadGolden, nest, type GoldenCase } from './golden.js';
import { postJson, readMetric, waitFor } from './http.js';

const MODEL_NAME = 'mlp-tiny';
const modelFile = fileURLToPath(
  new URL(`../../examples/models/${MODEL_NAME}.onnx`, import.meta.url),
);
const golden = loadGolden(
  fileURLToPath(new URL(`../../examples/models/${MODEL_NAME}.golden.json`, import.meta.url)),
);
const INFER_PATH = `/v2/models/${MODEL_NAME}/infer`;

interface V2Output {
  readonly name: string;
  readonly data: number[];
}

function v2Request(c: GoldenCase): unknown {
  return { inputs: c.inputs };
}

function v2Outputs(body: unknown): Map<string, number[]> {
  const outputs = (body as { outputs?: V2Output[] }).outputs ?? [];
  return new Map(outputs.map((o) => [o.name, o.data]));
}

function expectGoldenV2(body: unknown, c: GoldenCase): void {
  const got = v2Outputs(body);
  for (const want of c.outputs) expectClose(got.get(want.name) ?? [], want.data, c.tolerance);
}

describe('runtime image', () => {
  let runtime: StartedTestContainer;
  let url: string;

  beforeAll(async () => {
    runtime = await startRuntime({ modelFile, modelName: MODEL_NAME });
    url = baseUrl(runtime);
  });

  afterAll(async () => {
    await runtime?.stop({ timeout: 10_000 });
  });

  it.each(golden.map((c) => [c.name, c] as const))(
    'answers V2 infer with the golden outputs (%s)',
    async (_, c) => {
      const res = await postJson(`${url}${INFER_PATH}`, v2Request(c));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ model_name: MODEL_NAME, model_version: '1' });
      expectGoldenV2(res.body, c);
    },
  );

  it.each(golden.map((c) => [c.name, c] as const))(
    'answers /predict with the golden outputs (%s)',
    async (_, c) => {
      const inputs = Object.fromEntries(c.inputs.map((t) => [t.name, nest(t.data, t.shape)]));
      const res = await postJson(`${url}/predict`, { inputs });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const outputs = (res.body as { outputs: Record<string, unknown> }).outputs;
      for (const want of c.outputs) {
        expectClose(
          (outputs[want.name] as unknown[]).flat(Infinity) as number[],
          want.data,
          c.tolerance,
        );
      }
    },
  );

  it('runs node as PID 1 with a non-root uid', async () => {
    const uid = await runtime.exec(['id', '-u']);
    expect(uid.exitCode).toBe(0);
    expect(uid.stdout.trim()).toBe('65532');
    const pid1 = await runtime.exec([
      'sh',
      '-c',
      "tr '\\0' ' ' < /proc/1/cmdline; echo; grep ^Uid: /proc/1/status",
    ]);
    expect(pid1.stdout).toMatch(
      /^node --single-threaded-gc \/app\/runtime\/dist\/main\.js \nUid:\s+65532\s+65532\s+65532\s+65532\s*$/,
    );
  });

  it('serves from a read-only root filesystem, writing only to /tmp', async () => {
    const write = await runtime.exec(['sh', '-c', 'touch /app/probe']);
    expect(write.exitCode, 'the root filesystem should be read-only').not.toBe(0);
    const tmp = await runtime.exec(['sh', '-c', 'touch /tmp/probe && rm /tmp/probe']);
    expect(tmp.exitCode, tmp.stderr).toBe(0);
  });

  it('contains the runtime workspace only: no operator libraries, no dev tools, one platform', async () => {
    const absent = [
      '@kubernetes/client-node',
      'typescript',
      'vitest',
      'eslint',
      'tsx',
      'testcontainers',
    ];
    const check = await runtime.exec([
      'sh',
      '-c',
      `cd /app/node_modules && for p in ${absent.join(' ')}; do test ! -e "$p" || echo "$p"; done; ` +
        'ls onnxruntime-node/bin/napi-v*/ && ls onnxruntime-node/bin/napi-v*/linux',
    ]);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toEqual(['linux', 'x64']);
  });
});

describe('runtime image shutdown', () => {
  // Delay dispatch with a long batching delay keeps every request queued long enough to
  // be in flight when SIGTERM arrives; the batch is never full, so each waits the delay.
  const IN_FLIGHT = 12;
  const env = {
    BATCH_DISPATCH: 'delay',
    BATCH_MAX_SIZE: '256',
    BATCH_MAX_DELAY_MS: '1500',
    SHUTDOWN_GRACE_MS: '10000',
  };
  const c = golden[0] as GoldenCase;

  it('answers every in-flight request on SIGTERM, then exits 0', async () => {
    const runtime = await startRuntime({ modelFile, modelName: MODEL_NAME, env });
    try {
      const url = baseUrl(runtime);
      const pending = Array.from({ length: IN_FLIGHT }, () =>
        postJson(`${url}${INFER_PATH}`, v2Request(c)),
      );
      await waitFor(
        `${IN_FLIGHT} requests in flight`,
        async () => ((await readMetric(url, 'modeldeploy_inflight_requests')) ?? 0) >= IN_FLIGHT,
        10_000,
      );
      const [exitCode, responses] = await Promise.all([
        stopGracefully(runtime, 30_000),
        Promise.all(pending),
      ]);
      const logs = await containerLogs(runtime);
      expect(
        responses.map((r) => r.status),
        logs,
      ).toEqual(Array<number>(IN_FLIGHT).fill(200));
      for (const r of responses) expectGoldenV2(r.body, c);
      expect(exitCode, logs).toBe(0);
    } finally {
      await removeContainer(runtime);
    }
  });
});

describe('runtime image downloading its model', () => {
  it('fetches an http:// model into the tmpfs cache, checks its sha256 and serves it', async () => {
    const sha256 = createHash('sha256').update(readFileSync(modelFile)).digest('hex');
    const network = await new Network().start();
    const server = await startModelServer(network, 'models', modelFile);
    try {
      const runtime = await startRuntime({
        network,
        modelName: MODEL_NAME,
        env: { MODEL_URI: 'http://models:8000/mlp-tiny.onnx', MODEL_SHA256: sha256 },
      });
      try {
        const cached = await runtime.exec(['sh', '-c', 'ls "$MODEL_CACHE_DIR"']);
        expect(cached.stdout.trim()).toBe(`sha256-${sha256}.onnx`);
        const c = golden[0] as GoldenCase;
        const res = await postJson(`${baseUrl(runtime)}${INFER_PATH}`, v2Request(c));
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expectGoldenV2(res.body, c);
      } finally {
        await runtime.stop({ timeout: 10_000 });
      }
    } finally {
      await server.stop({ timeout: 1_000 });
      await network.stop();
    }
  });
});
