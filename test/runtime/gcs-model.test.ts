/**
 * gs:// models from a real GCS emulator (fake-gcs-server, built from its Go module) read by
 * the real @google-cloud/storage client: anonymous against the emulator's endpoint, and
 * with a service account key file whose self-signed token a gate in front of the emulator
 * verifies (the emulator checks none). A missing object is ModelNotFound naming bucket and
 * object, a refused account ModelAccessDenied naming its email, a digest mismatch and an
 * object over the size limit are refused before anything reaches the cache.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { storageReason } from '../../runtime/src/model/storage/storage-errors.js';
import {
  startLoopbackProcess,
  type LoopbackProcess,
} from '../integration-prometheus/loopback-process.js';
import { stopChild } from '../integration-prometheus/prometheus-server.js';
import {
  makeServiceAccountKey,
  startIamGate,
  type IamGate,
  type ServiceAccountKey,
} from '../support/gcs-iam-gate.js';
import { startGcsServer, type GcsServer } from '../support/gcs-server.js';
import { MODELS, testConfig } from './helpers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const model = readFileSync(MODELS.tiny);
const TINY_SHA = createHash('sha256').update(model).digest('hex');
const BUCKET = 'models';
const OBJECT = 'iris/v1/mlp-tiny.onnx';
const URI = `gs://${BUCKET}/${OBJECT}`;

let dir = '';
let gcs: GcsServer;
let gate: IamGate;
let reader: ServiceAccountKey;
let stranger: ServiceAccountKey;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modeldeploy-gcs-model-'));
  gcs = await startGcsServer();
  await gcs.put(BUCKET, OBJECT, model);
  reader = makeServiceAccountKey('model-reader@modeldeploy-test.iam.gserviceaccount.com');
  stranger = makeServiceAccountKey('someone-else@modeldeploy-test.iam.gserviceaccount.com');
  gate = await startIamGate(gcs.endpoint, [reader]);
});

afterAll(async () => {
  await gate?.stop();
  await gcs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cache = (): string => mkdtempSync(join(dir, 'cache-'));

function keyFile(key: ServiceAccountKey): string {
  const file = join(mkdtempSync(join(dir, 'secret-')), 'key.json');
  writeFileSync(file, key.json);
  return file;
}

function gcsEnv(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MODEL_CACHE_DIR: cache(),
    MODEL_GCS_ENDPOINT: endpoint,
    MODEL_DOWNLOAD_RETRIES: '0',
    ...extra,
  };
}

async function loadFailure(uri: string, env: Record<string, string>): Promise<Error> {
  const outcome = await loadModel(testConfig(uri, env)).then(
    async (loaded) => loaded.release(),
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected loading ${uri} to fail`);
  return outcome;
}

describe('a gs:// model', () => {
  it('downloads from the emulator, verifies and serves (runtime process)', async () => {
    let runtime: LoopbackProcess | undefined;
    try {
      runtime = await startLoopbackProcess({
        what: 'runtime',
        args: (port) => ['--import', 'tsx', 'runtime/src/main.ts', '--port', String(port)],
        cwd: repoRoot,
        env: {
          ...process.env,
          ...gcsEnv(gcs.endpoint),
          HOST: '127.0.0.1',
          MODEL_URI: URI,
          MODEL_SHA256: TINY_SHA,
          MODEL_NAME: 'tiny',
          MODEL_VERSION: '1',
        },
        readyPath: '/ready',
      });
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
      expect(runtime.output()).toMatch(
        /"uri":"gs:\/\/models\/iris\/v1\/mlp-tiny\.onnx".*"msg":"model fetched"/,
      );
    } finally {
      await stopChild(runtime?.child);
    }
  });

  it('reaches an emulator named by STORAGE_EMULATOR_HOST, the variable Google documents', async () => {
    // The client takes that variable as its JSON API base, path included.
    const saved = process.env['STORAGE_EMULATOR_HOST'];
    process.env['STORAGE_EMULATOR_HOST'] = `${gcs.endpoint}/storage/v1`;
    try {
      const env = gcsEnv(gcs.endpoint);
      delete env['MODEL_GCS_ENDPOINT'];
      const loaded = await loadModel(testConfig(URI, env));
      expect(loaded.sha256).toBe(TINY_SHA);
      await loaded.release();
    } finally {
      if (saved === undefined) delete process.env['STORAGE_EMULATOR_HOST'];
      else process.env['STORAGE_EMULATOR_HOST'] = saved;
    }
  });

  it('signs its requests with the service account key of MODEL_GCS_CREDENTIALS_FILE', async () => {
    const before = gate.callers.length;
    const loaded = await loadModel(
      testConfig(URI, gcsEnv(gate.endpoint, { MODEL_GCS_CREDENTIALS_FILE: keyFile(reader) })),
    );
    expect(loaded.sha256).toBe(TINY_SHA);
    await loaded.release();
    expect(gate.callers.slice(before)).toContain(reader.email);
    expect(new Set(gate.callers.slice(before))).toEqual(new Set([reader.email]));
  });

  it('answers a refused service account as ModelAccessDenied naming its email, without retrying', async () => {
    const err = await loadFailure(
      URI,
      gcsEnv(gate.endpoint, {
        MODEL_GCS_CREDENTIALS_FILE: keyFile(stranger),
        MODEL_DOWNLOAD_RETRIES: '3',
      }),
    );
    expect(storageReason(err)).toBe('ModelAccessDenied');
    expect(err.message).toContain(`HTTP 403: access denied to service account ${stranger.email}`);
    expect(err.message).toContain('(after 1 attempt)');
    expect(err.message).not.toContain('PRIVATE KEY');
  });

  it('answers an anonymous request to a gated endpoint as ModelAccessDenied saying so', async () => {
    const err = await loadFailure(URI, gcsEnv(gate.endpoint));
    expect(storageReason(err)).toBe('ModelAccessDenied');
    expect(err.message).toContain('HTTP 401: access denied to an anonymous request');
  });

  it('retries a download reset half-way and leaves no half-written file', async () => {
    const cacheDir = mkdtempSync(join(dir, 'cache-'));
    const before = gate.downloads();
    gate.resetNextDownloadAfter(Math.floor(model.byteLength / 2));
    const loaded = await loadModel(
      testConfig(
        URI,
        gcsEnv(gate.endpoint, {
          MODEL_CACHE_DIR: cacheDir,
          MODEL_GCS_CREDENTIALS_FILE: keyFile(reader),
          MODEL_SHA256: TINY_SHA,
          MODEL_DOWNLOAD_RETRIES: '2',
        }),
      ),
    );
    expect(loaded.sha256).toBe(TINY_SHA);
    await loaded.release();
    expect(gate.downloads() - before).toBe(2);
    expect(readdirSync(cacheDir)).toEqual([`sha256-${TINY_SHA}.onnx`]);
  });

  it('answers a missing object as ModelNotFound naming bucket and object, and a missing bucket too', async () => {
    const object = await loadFailure(`gs://${BUCKET}/iris/v9/none.onnx`, gcsEnv(gcs.endpoint));
    expect(storageReason(object)).toBe('ModelNotFound');
    expect(object.message).toContain("no object 'iris/v9/none.onnx' in bucket 'models'");
    const bucket = await loadFailure(`gs://no-such-bucket/${OBJECT}`, gcsEnv(gcs.endpoint));
    expect(storageReason(bucket)).toBe('ModelNotFound');
    expect(bucket.message).toContain("in bucket 'no-such-bucket'");
  });

  it('refuses a digest mismatch and leaves nothing in the cache', async () => {
    const cacheDir = cache();
    const err = await loadFailure(
      URI,
      gcsEnv(gcs.endpoint, { MODEL_CACHE_DIR: cacheDir, MODEL_SHA256: 'd'.repeat(64) }),
    );
    expect(storageReason(err)).toBe('ModelDigestMismatch');
    expect(err.message).toContain(`expected ${'d'.repeat(64)} (MODEL_SHA256), got ${TINY_SHA}`);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it("refuses an object over the limit from its metadata's size, before reading the body", async () => {
    const cacheDir = cache();
    const limit = model.byteLength - 1;
    const err = await loadFailure(
      URI,
      gcsEnv(gcs.endpoint, { MODEL_CACHE_DIR: cacheDir, MODEL_MAX_BYTES: String(limit) }),
    );
    // The streaming check would say "more than MODEL_MAX_BYTES=…"; this is the metadata's.
    expect(err.message).toContain(
      `${model.byteLength} bytes is more than MODEL_MAX_BYTES=${limit}`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
