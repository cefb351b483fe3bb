/**
 * An https:// model behind a private CA, as inside a company network: the runtime process
 * trusts the CA through NODE_EXTRA_CA_CERTS (Node's own setting, read at start; in a pod,
 * mount the CA bundle and set the variable in spec.runtime.env), downloads over real TLS,
 * verifies the sha256 and serves. Without the CA it refuses the server and says why.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, createLeaf, type KeyPairFiles } from '../cluster/pki.js';
import { stopChild } from '../integration-prometheus/prometheus-server.js';
import {
  startLoopbackProcess,
  type LoopbackProcess,
} from '../integration-prometheus/loopback-process.js';
import { MODELS } from './helpers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const TINY_SHA = 'b70b409c069c570281693803d090271d61c55c4e015690e845c32383f4ddcb77';

let dir = '';
let ca: KeyPairFiles;
let server: Server;
let modelUrl = '';
let downloads = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modeldeploy-https-model-'));
  ca = await createCa(dir, 'ca', 'ModelDeploy test model store CA');
  const leaf = await createLeaf(dir, {
    name: 'store',
    commonName: 'model store',
    usage: 'server',
    ipAddresses: ['127.0.0.1'],
    issuer: 'ca',
  });
  const model = readFileSync(MODELS.tiny);
  server = createServer(
    { key: readFileSync(leaf.keyFile), cert: readFileSync(leaf.certFile) },
    (req, res) => {
      if (req.url !== '/models/mlp-tiny.onnx') return void res.writeHead(404).end();
      downloads++;
      res.end(model);
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  modelUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}/models/mlp-tiny.onnx`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function runtimeEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    GRPC_ENABLED: 'false',
    MODEL_URI: modelUrl,
    MODEL_SHA256: TINY_SHA,
    MODEL_NAME: 'tiny',
    MODEL_VERSION: '1',
    MODEL_CACHE_DIR: mkdtempSync(join(dir, 'cache-')),
    MODEL_DOWNLOAD_RETRIES: '0',
    LOG_LEVEL: 'info',
    ...extra,
  };
  // Only the CA this test names may be trusted (a machine may set its own bundle).
  if (extra['NODE_EXTRA_CA_CERTS'] === undefined) delete env['NODE_EXTRA_CA_CERTS'];
  return env;
}

const runtimeArgs = (port: number): string[] => [
  '--import',
  'tsx',
  'runtime/src/main.ts',
  '--port',
  String(port),
];

describe('an https:// model behind a private CA', () => {
  it('downloads over TLS when NODE_EXTRA_CA_CERTS names the CA, and serves', async () => {
    let runtime: LoopbackProcess | undefined;
    try {
      runtime = await startLoopbackProcess({
        what: 'runtime',
        args: runtimeArgs,
        cwd: repoRoot,
        env: runtimeEnv({ NODE_EXTRA_CA_CERTS: ca.certFile }),
        readyPath: '/ready',
      });
      expect(downloads).toBe(1);
      const res = await fetch(`${runtime.url}/v2/models/tiny/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          inputs: [
            { name: 'input', shape: [1, 64], datatype: 'FP32', data: new Array(64).fill(0.5) },
          ],
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { outputs: { shape: number[] }[] };
      expect(body.outputs[0]?.shape).toEqual([1, 10]);
    } finally {
      await stopChild(runtime?.child);
    }
  });

  it('refuses the server without the CA and exits saying the certificate is not trusted', async () => {
    const before = downloads;
    await expect(
      startLoopbackProcess({
        what: 'runtime',
        args: runtimeArgs,
        cwd: repoRoot,
        env: runtimeEnv({}),
        readyPath: '/ready',
      }),
    ).rejects.toThrow(/unable to verify the first certificate.*NODE_EXTRA_CA_CERTS/);
    expect(downloads).toBe(before);
  });
});
