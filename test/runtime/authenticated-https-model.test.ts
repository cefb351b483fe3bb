/**
 * https:// models behind credentials and a private CA, from a real TLS server on loopback:
 * bearer and basic auth read from files (a mounted Secret), the CA from MODEL_CA_BUNDLE_FILE,
 * a connection reset mid-body retried without a half-written file in the cache, and each
 * refusal typed (ModelAccessDenied, ModelNotFound, ModelDigestMismatch) up to the
 * termination message the operator reads.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadModel, type DownloadOptions } from '../../runtime/src/model/download.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { storageReason } from '../../runtime/src/model/storage/storage-errors.js';
import { createCa, createLeaf } from '../cluster/pki.js';
import {
  startLoopbackProcess,
  type LoopbackProcess,
} from '../integration-prometheus/loopback-process.js';
import { stopChild } from '../integration-prometheus/prometheus-server.js';
import { MODELS, testConfig } from './helpers.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const model = readFileSync(MODELS.tiny);
const TINY_SHA = createHash('sha256').update(model).digest('hex');
const TOKEN = 'tok-3f9a';
const USER = 'ci-reader';
const PASSWORD = 'pa ss:word';

let dir = '';
let caPem = '';
let caFile = '';
let server: Server;
let base = '';
/** A plain-http server on another origin that records what a redirect sends it. */
let elsewhere: ReturnType<typeof createHttpServer>;
let elsewhereBase = '';
const hits: Record<string, number> = {};
const elsewhereAuth: (string | undefined)[] = [];

function authorized(req: IncomingMessage): 'ok' | 'none' | 'wrong' {
  const header = req.headers.authorization;
  if (header === undefined) return 'none';
  const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  return header === `Bearer ${TOKEN}` || header === basic ? 'ok' : 'wrong';
}

/** Sends the model's first half with the full Content-Length, then drops the connection. */
function resetMidBody(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-length': String(model.length) });
  res.write(model.subarray(0, model.length >> 1), () => setImmediate(() => req.socket.destroy()));
}

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '';
  hits[path] = (hits[path] ?? 0) + 1;
  if (path === '/missing.onnx') return void res.writeHead(404).end();
  if (path === '/redirect.onnx') {
    return void res.writeHead(302, { location: `${elsewhereBase}/m.onnx` }).end();
  }
  const auth = authorized(req);
  if (auth !== 'ok') return void res.writeHead(auth === 'none' ? 401 : 403).end();
  if (path === '/reset-once.onnx' && hits[path] === 1) return resetMidBody(req, res);
  if (path === '/reset-always.onnx') return resetMidBody(req, res);
  if (path === '/m.onnx' || path.startsWith('/reset')) return void res.end(model);
  res.writeHead(404).end();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modeldeploy-auth-https-'));
  const ca = await createCa(dir, 'ca', 'ModelDeploy test model store CA');
  const leaf = await createLeaf(dir, {
    name: 'store',
    commonName: 'model store',
    usage: 'server',
    ipAddresses: ['127.0.0.1'],
    issuer: 'ca',
  });
  caFile = ca.certFile;
  caPem = readFileSync(caFile, 'utf8');
  server = createServer(
    { key: readFileSync(leaf.keyFile), cert: readFileSync(leaf.certFile) },
    route,
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  elsewhere = createHttpServer((req, res) => {
    elsewhereAuth.push(req.headers.authorization);
    res.end(model);
  });
  await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
  elsewhereBase = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of [server, elsewhere]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

const cache = (): string => mkdtempSync(join(dir, 'cache-'));

function options(path: string, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    url: `${base}${path}`,
    cacheDir: cache(),
    timeoutMs: 10_000,
    maxBytes: 10_000_000,
    retries: 3,
    expectedSha256: undefined,
    caBundle: caPem,
    auth: { kind: 'bearer', token: TOKEN },
    sleep: () => Promise.resolve(),
    ...extra,
  };
}

/** The error a download fails with; a download that succeeds fails the test. */
async function failure(download: Promise<unknown>): Promise<Error> {
  const outcome = await download.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the download to fail');
  return outcome;
}

function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('an https:// model with credentials and a private CA', () => {
  it('loads with a bearer token file and a CA bundle file, and serves', async () => {
    const loaded = await loadModel(
      testConfig(`${base}/m.onnx`, {
        MODEL_SHA256: TINY_SHA,
        MODEL_CACHE_DIR: cache(),
        MODEL_CA_BUNDLE_FILE: caFile,
        MODEL_HTTP_BEARER_TOKEN_FILE: secretFile('token', `${TOKEN}\n`),
      }),
    );
    expect(loaded.sha256).toBe(TINY_SHA);
    await loaded.release();
  });

  it('loads with basic auth from a username file and a password file', async () => {
    const loaded = await loadModel(
      testConfig(`${base}/m.onnx`, {
        MODEL_CACHE_DIR: cache(),
        MODEL_CA_BUNDLE_FILE: caFile,
        MODEL_HTTP_USERNAME_FILE: secretFile('username', USER),
        MODEL_HTTP_PASSWORD_FILE: secretFile('password', `${PASSWORD}\n`),
      }),
    );
    expect(loaded.sha256).toBe(TINY_SHA);
    await loaded.release();
  });

  it('answers 401 without and 403 with a wrong token as ModelAccessDenied, tried once', async () => {
    const before = hits['/m.onnx'] ?? 0;
    const anonymous = await failure(downloadModel(options('/m.onnx', { auth: undefined })));
    expect(storageReason(anonymous)).toBe('ModelAccessDenied');
    expect(anonymous.message).toMatch(/HTTP 401: access denied to an anonymous request/);
    const wrong = await failure(
      downloadModel(
        options('/m.onnx', { auth: { kind: 'basic', username: 'intruder', password: 'x' } }),
      ),
    );
    expect(storageReason(wrong)).toBe('ModelAccessDenied');
    expect(wrong.message).toMatch(
      /HTTP 403: access denied to user 'intruder'.*\(after 1 attempt\)/,
    );
    expect(hits['/m.onnx']).toBe(before + 2);
  });

  it('answers 404 as ModelNotFound without retrying', async () => {
    const err = await failure(downloadModel(options('/missing.onnx')));
    expect(storageReason(err)).toBe('ModelNotFound');
    expect(err.message).toMatch(/missing\.onnx: HTTP 404: no such model/);
    expect(hits['/missing.onnx']).toBe(1);
  });

  it('refuses a digest mismatch as ModelDigestMismatch naming both digests, caching nothing', async () => {
    const cacheDir = cache();
    const wanted = 'c'.repeat(64);
    const err = await failure(
      downloadModel(options('/m.onnx', { cacheDir, expectedSha256: wanted })),
    );
    expect(storageReason(err)).toBe('ModelDigestMismatch');
    expect(err.message).toContain(`expected ${wanted} (MODEL_SHA256), got ${TINY_SHA}`);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('retries a connection reset mid-body and keeps only the whole, verified file', async () => {
    const cacheDir = cache();
    const retries: string[] = [];
    const result = await downloadModel(
      options('/reset-once.onnx', {
        cacheDir,
        expectedSha256: TINY_SHA,
        onRetry: (_attempt, _delay, error) => retries.push(error.message),
      }),
    );
    expect(hits['/reset-once.onnx']).toBe(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(/reset-once\.onnx: (aborted|.*ECONNRESET|.*socket hang up)/);
    expect(result.bytes).toBe(model.length);
    expect(readdirSync(cacheDir)).toEqual([`sha256-${TINY_SHA}.onnx`]);
  });

  it('leaves no partial file when every attempt is cut off', async () => {
    const cacheDir = cache();
    const err = await failure(
      downloadModel(options('/reset-always.onnx', { cacheDir, retries: 2 })),
    );
    expect(err.message).toMatch(/\(after 3 attempts\)/);
    expect(hits['/reset-always.onnx']).toBe(3);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('does not send the credentials to another origin a redirect points at', async () => {
    const result = await downloadModel(options('/redirect.onnx'));
    expect(result.sha256).toBe(TINY_SHA);
    expect(elsewhereAuth).toEqual([undefined]);
  });

  it('refuses a model larger than the cache volume before writing any of it', async () => {
    const cacheDir = cache();
    await expect(
      loadModel(
        testConfig(`${base}/m.onnx`, {
          MODEL_CACHE_DIR: cacheDir,
          MODEL_CA_BUNDLE_FILE: caFile,
          MODEL_HTTP_BEARER_TOKEN_FILE: secretFile('token', TOKEN),
          MODEL_CACHE_SIZE_LIMIT_BYTES: '1000',
        }),
      ),
    ).rejects.toThrow(
      `${model.length} bytes is more than MODEL_CACHE_SIZE_LIMIT_BYTES (the cache volume sizeLimit)=1000`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('leads the termination message with ModelAccessDenied when the runtime exits', async () => {
    const messagePath = join(dir, 'termination-log');
    let runtime: LoopbackProcess | undefined;
    const started = startLoopbackProcess({
      what: 'runtime',
      args: (port) => ['--import', 'tsx', 'runtime/src/main.ts', '--port', String(port)],
      cwd: repoRoot,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        MODEL_URI: `${base}/m.onnx`,
        MODEL_NAME: 'tiny',
        MODEL_VERSION: '1',
        MODEL_CACHE_DIR: cache(),
        MODEL_CA_BUNDLE_FILE: caFile,
        MODEL_HTTP_BEARER_TOKEN_FILE: secretFile('wrong-token', 'not-the-token'),
        TERMINATION_MESSAGE_PATH: messagePath,
      },
      readyPath: '/ready',
    }).then((r) => (runtime = r));
    try {
      await expect(started).rejects.toThrow(/runtime exited/);
    } finally {
      await stopChild(runtime?.child);
    }
    expect(readFileSync(messagePath, 'utf8')).toMatch(
      /^ModelAccessDenied: model 'tiny' version '1' failed to load: .*HTTP 403: access denied to the bearer token/,
    );
  });
});
