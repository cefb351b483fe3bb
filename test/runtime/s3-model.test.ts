/**
 * s3:// models from a real S3-compatible server (versitygw, built from its Go module) read
 * by the real AWS SDK with its default credential chain: keys in the environment as the
 * operator sets them from a Secret, a custom endpoint with path-style addressing, a private
 * CA. Wrong keys are ModelAccessDenied naming the access key id, a missing key is
 * ModelNotFound naming bucket and key, a digest mismatch is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { fetchRemoteModel } from '../../runtime/src/model/storage/fetch-remote.js';
import { openRemote } from '../../runtime/src/model/storage/open-remote.js';
import { PROGRESS_MIN_BYTES } from '../../runtime/src/model/storage/progress.js';
import { storageReason } from '../../runtime/src/model/storage/storage-errors.js';
import { storageSettings } from '../../runtime/src/model/storage/storage-settings.js';
import { createCa, createLeaf } from '../cluster/pki.js';
import {
  startLoopbackProcess,
  type LoopbackProcess,
} from '../integration-prometheus/loopback-process.js';
import { stopChild } from '../integration-prometheus/prometheus-server.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { MODELS, testConfig } from './helpers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const model = readFileSync(MODELS.tiny);
const TINY_SHA = createHash('sha256').update(model).digest('hex');
const BUCKET = 'models';
const KEY = 'iris/v1/mlp-tiny.onnx';

let dir = '';
let s3: S3Server;
let tlsS3: S3Server;
let caFile = '';
const AWS_VARS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION'];
const savedEnv = new Map(AWS_VARS.map((name) => [name, process.env[name]]));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modeldeploy-s3-model-'));
  const ca = await createCa(dir, 'ca', 'ModelDeploy test S3 CA');
  const leaf = await createLeaf(dir, {
    name: 's3',
    commonName: 'object store',
    usage: 'server',
    ipAddresses: ['127.0.0.1'],
    issuer: 'ca',
  });
  caFile = ca.certFile;
  s3 = await startS3Server();
  tlsS3 = await startS3Server({ ...leaf, caPem: readFileSync(caFile, 'utf8') });
  await s3.put(BUCKET, KEY, model);
  await tlsS3.put(BUCKET, KEY, model);
});

afterAll(async () => {
  await s3?.stop();
  await tlsS3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The SDK's default chain reads the environment when it resolves credentials. */
function useKeys(server: S3Server, secret = server.secretAccessKey): void {
  process.env['AWS_ACCESS_KEY_ID'] = server.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = secret;
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_REGION'];
}

afterEach(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const cache = (): string => mkdtempSync(join(dir, 'cache-'));

function s3Env(server: S3Server, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MODEL_CACHE_DIR: cache(),
    MODEL_S3_ENDPOINT: server.endpoint,
    MODEL_S3_FORCE_PATH_STYLE: 'true',
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

describe('an s3:// model', () => {
  it('downloads with keys from the environment, verifies and serves (runtime process)', async () => {
    let runtime: LoopbackProcess | undefined;
    try {
      runtime = await startLoopbackProcess({
        what: 'runtime',
        args: (port) => ['--import', 'tsx', 'runtime/src/main.ts', '--port', String(port)],
        cwd: repoRoot,
        env: {
          ...process.env,
          ...s3Env(s3),
          HOST: '127.0.0.1',
          MODEL_URI: `s3://${BUCKET}/${KEY}`,
          MODEL_SHA256: TINY_SHA,
          MODEL_NAME: 'tiny',
          MODEL_VERSION: '1',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          AWS_REGION: 'us-east-1',
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
        /"uri":"s3:\/\/models\/iris\/v1\/mlp-tiny\.onnx".*"msg":"model fetched"/,
      );
    } finally {
      await stopChild(runtime?.child);
    }
  });

  it('reads from an https:// endpoint behind a private CA named by MODEL_CA_BUNDLE_FILE', async () => {
    useKeys(tlsS3);
    const loaded = await loadModel(
      testConfig(`s3://${BUCKET}/${KEY}`, s3Env(tlsS3, { MODEL_CA_BUNDLE_FILE: caFile })),
    );
    expect(loaded.sha256).toBe(TINY_SHA);
    await loaded.release();
    const refused = await loadFailure(`s3://${BUCKET}/${KEY}`, s3Env(tlsS3));
    expect(refused.message).toMatch(/self-signed|unable to verify|certificate/i);
  });

  it('refuses a wrong secret as ModelAccessDenied naming the access key id', async () => {
    useKeys(s3, 'not-the-secret');
    const err = await loadFailure(
      `s3://${BUCKET}/${KEY}`,
      s3Env(s3, { MODEL_DOWNLOAD_RETRIES: '3' }),
    );
    expect(storageReason(err)).toBe('ModelAccessDenied');
    expect(err.message).toContain(`access denied to access key id ${s3.accessKeyId}`);
    expect(err.message).toContain('(after 1 attempt)');
    expect(err.message).not.toContain('not-the-secret');
  });

  it('answers a missing key as ModelNotFound naming bucket and key, and a missing bucket too', async () => {
    useKeys(s3);
    const key = await loadFailure(`s3://${BUCKET}/iris/v9/none.onnx`, s3Env(s3));
    expect(storageReason(key)).toBe('ModelNotFound');
    expect(key.message).toContain("no object 'iris/v9/none.onnx' in bucket 'models'");
    const bucket = await loadFailure(`s3://no-such-bucket/${KEY}`, s3Env(s3));
    expect(storageReason(bucket)).toBe('ModelNotFound');
    expect(bucket.message).toContain("in bucket 'no-such-bucket'");
  });

  it('streams a multi-MiB object to the cache byte for byte, with progress', async () => {
    useKeys(s3);
    // Many writes overlapping the body (stream-to-file.ts), and above PROGRESS_MIN_BYTES.
    const big = randomBytes(PROGRESS_MIN_BYTES + 3 * 1024 * 1024 + 17);
    const sha = createHash('sha256').update(big).digest('hex');
    await s3.put(BUCKET, 'big/blob.bin', big);
    const object = await openRemote(
      { kind: 's3', bucket: BUCKET, key: 'big/blob.bin' },
      storageSettings({ MODEL_S3_ENDPOINT: s3.endpoint, MODEL_S3_FORCE_PATH_STYLE: true }),
    );
    const cacheDir = cache();
    const percents: number[] = [];
    const result = await fetchRemoteModel(object, {
      cacheDir,
      expectedSha256: sha,
      timeoutMs: 60_000,
      maxBytes: 2 ** 40,
      limitName: 'MODEL_MAX_BYTES',
      retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, sleep: () => Promise.resolve() },
      onProgress: (event) => percents.push(event.percent),
    });
    expect(result).toMatchObject({ sha256: sha, bytes: big.length, fromCache: false });
    expect(readFileSync(result.path).equals(big)).toBe(true);
    expect(readdirSync(cacheDir)).toEqual([`sha256-${sha}.onnx`]);
    expect(percents).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('refuses a digest mismatch and leaves nothing in the cache', async () => {
    useKeys(s3);
    const cacheDir = cache();
    const err = await loadFailure(
      `s3://${BUCKET}/${KEY}`,
      s3Env(s3, { MODEL_CACHE_DIR: cacheDir, MODEL_SHA256: 'd'.repeat(64) }),
    );
    expect(storageReason(err)).toBe('ModelDigestMismatch');
    expect(err.message).toContain(`expected ${'d'.repeat(64)} (MODEL_SHA256), got ${TINY_SHA}`);
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
