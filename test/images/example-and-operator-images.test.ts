/**
 * The other two images scripts/build-images.sh builds: the runtime with a model baked in
 * (`--build-arg MODEL=...`, served from file:///models/model.onnx with no configuration),
 * and the operator image, checked for what it must and must not contain. The operator
 * is not run here: it needs a cluster (test/integration covers its behaviour).
 */
import { fileURLToPath } from 'node:url';
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { baseUrl, startIdle, startRuntime } from './containers.js';
import { expectClose, loadGolden } from './golden.js';
import { postJson } from './http.js';
import { IMAGES } from './images.js';

const golden = loadGolden(
  fileURLToPath(new URL('../../examples/models/mlp-tiny.golden.json', import.meta.url)),
);

describe('runtime image with a baked-in model', () => {
  let runtime: StartedTestContainer;

  beforeAll(async () => {
    runtime = await startRuntime({ image: IMAGES.runtimeExample });
  });

  afterAll(async () => {
    await runtime?.stop({ timeout: 10_000 });
  });

  it('serves /models/model.onnx as "model" without any MODEL_* settings', async () => {
    const c = golden[0];
    if (c === undefined) throw new Error('mlp-tiny.golden.json has no case');
    const res = await postJson(`${baseUrl(runtime)}/v2/models/model/infer`, { inputs: c.inputs });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const outputs = (res.body as { outputs: { name: string; data: number[] }[] }).outputs;
    for (const want of c.outputs) {
      expectClose(outputs.find((o) => o.name === want.name)?.data ?? [], want.data, c.tolerance);
    }
  });
});

describe.skipIf(!inject('operatorImageBuilt'))('operator image', () => {
  let operator: StartedTestContainer;

  beforeAll(async () => {
    operator = await startIdle(IMAGES.operator);
  });

  afterAll(async () => {
    await operator?.stop({ timeout: 1_000 });
  });

  it('runs as uid 65532', async () => {
    const uid = await operator.exec(['id', '-u']);
    expect(uid.stdout.trim()).toBe('65532');
  });

  it('contains the operator workspace only: no onnxruntime, no dev tools', async () => {
    const absent = ['onnxruntime-node', 'onnxruntime-common', 'fastify', 'typescript', 'vitest'];
    const check = await operator.exec([
      'sh',
      '-c',
      `cd /app/node_modules && for p in ${absent.join(' ')}; do test ! -e "$p" || echo "$p"; done; ` +
        'test -f /app/operator/dist/main.js && test -d @kubernetes/client-node && echo ok',
    ]);
    expect(check.stdout.trim()).toBe('ok');
  });
});
