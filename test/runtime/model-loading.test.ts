import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../../runtime/src/model/digest.js';
import { downloadModel } from '../../runtime/src/model/download.js';
import { GoldenCheckError } from '../../runtime/src/model/golden.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { createInferenceModel } from '../../runtime/src/model/session.js';
import { goldenFor, MODELS, testConfig } from './helpers.js';

const TINY_SHA = 'b70b409c069c570281693803d090271d61c55c4e015690e845c32383f4ddcb77';
const tinyBytes = readFileSync(MODELS.tiny);

describe('metadata from the session', () => {
  it('reads names, element types and shapes with dynamic dimensions as -1', async () => {
    const cases = [
      [MODELS.tiny, [['input', 'FP32', [-1, 64]]], [['output', 'FP32', [-1, 10]]], true],
      [MODELS.heavy, [['input', 'FP32', [-1, 512]]], [['output', 'FP32', [-1, 10]]], true],
      [MODELS.fixed, [['input', 'FP32', [1, 64]]], [['output', 'FP32', [1, 10]]], false],
      [
        MODELS.int64,
        [['ids', 'INT64', [-1, 4]]],
        [
          ['embedding_sum', 'FP32', [-1, 2]],
          ['ids_sum', 'INT64', [-1, 1]],
        ],
        true,
      ],
    ] as const;
    const config = testConfig(MODELS.tiny);
    for (const [path, inputs, outputs, batchable] of cases) {
      const model = await createInferenceModel(path, {
        session: config.session,
        ortTelemetry: false,
        ortLogSeverity: 4,
      });
      const describe = (s: {
        name: string;
        datatype: { v2: string };
        shape: readonly number[];
      }) => [s.name, s.datatype.v2, s.shape];
      expect(model.signature.inputs.map(describe)).toEqual(inputs);
      expect(model.signature.outputs.map(describe)).toEqual(outputs);
      expect(model.signature.batchable).toBe(batchable);
      await model.release();
    }
    expect(process.env.ORT_DISABLE_TELEMETRY).toBe('1');
  });
});

describe('loading from files', () => {
  it('verifies MODEL_SHA256 and refuses a different file, naming both digests', async () => {
    const ok = await loadModel(testConfig(MODELS.tiny, { MODEL_SHA256: TINY_SHA }));
    expect(ok.sha256).toBe(TINY_SHA);
    await ok.release();
    const wrong = 'f'.repeat(64);
    const err = await loadModel(testConfig(MODELS.tiny, { MODEL_SHA256: wrong })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toContain(`expected ${wrong} (MODEL_SHA256), got ${TINY_SHA}`);
  });

  it('resolves pvc://<claim>/<path> under PVC_MOUNT_ROOT and file:// URLs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'md-pvc-'));
    mkdirSync(join(root, 'models-claim', 'v1'), { recursive: true });
    copyFileSync(MODELS.tiny, join(root, 'models-claim', 'v1', 'model.onnx'));
    const pvc = await loadModel(
      testConfig('pvc://models-claim/v1/model.onnx', { PVC_MOUNT_ROOT: root }),
    );
    expect(pvc.path).toBe(join(root, 'models-claim', 'v1', 'model.onnx'));
    expect(pvc.sha256).toBe(TINY_SHA);
    await pvc.release();
    const file = await loadModel(testConfig(pathToFileURL(MODELS.fixed).href));
    expect(file.signature.inputs[0]?.shape).toEqual([1, 64]);
    await file.release();
    await expect(loadModel(testConfig(join(root, 'nope.onnx')))).rejects.toThrow(
      /nope.onnx.*ENOENT/,
    );
  });

  it('names the path when MODEL_URI points at a directory, and says what to do', async () => {
    const root = mkdtempSync(join(tmpdir(), 'md-pvc-'));
    mkdirSync(join(root, 'models-claim', 'v1'), { recursive: true });
    const dir = join(root, 'models-claim', 'v1');
    await expect(
      loadModel(testConfig('pvc://models-claim/v1', { PVC_MOUNT_ROOT: root })),
    ).rejects.toThrow(
      `model file ${dir} (MODEL_URI=pvc://models-claim/v1) is a directory; point MODEL_URI at the .onnx file inside it`,
    );
  });

  it('refuses a file over MODEL_MAX_BYTES', async () => {
    await expect(loadModel(testConfig(MODELS.tiny, { MODEL_MAX_BYTES: '1000' }))).rejects.toThrow(
      /603644 bytes is more than MODEL_MAX_BYTES=1000/,
    );
  });
});

describe('golden requests', () => {
  it('pass on the model they were made for', async () => {
    const config = testConfig(MODELS.tiny, {
      GOLDEN_REQUESTS: JSON.stringify(goldenFor(MODELS.tiny)),
    });
    const model = await loadModel(config);
    await model.release();
  });

  it('fail on the canary candidate, naming request, output, index, expected and actual', async () => {
    const golden = goldenFor(MODELS.tiny);
    const config = testConfig(MODELS.tinyV2, { GOLDEN_REQUESTS: JSON.stringify(golden) });
    const err = await loadModel(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GoldenCheckError);
    const expected = golden[0]!.outputs[0]!.data[0];
    expect((err as Error).message).toMatch(
      new RegExp(
        `^golden request 'mlp-tiny-sin-ramp': output 'output' differs at index 0: expected ${expected}, got -?\\d`,
      ),
    );
  });
});

describe('HTTP download from a local server', () => {
  let server: Server;
  let base: string;
  const hits: Record<string, number> = {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      hits[path] = (hits[path] ?? 0) + 1;
      if (path === '/ok.onnx') return void res.end(tinyBytes);
      if (path === '/flaky.onnx') {
        if ((hits[path] ?? 0) <= 2) return void res.writeHead(503).end('busy');
        return void res.end(tinyBytes);
      }
      if (path === '/chunked.onnx') {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.write(tinyBytes.subarray(0, 4000));
        return void res.end(tinyBytes.subarray(4000));
      }
      if (path === '/hang.onnx') return; // never answers
      res.writeHead(404).end('no such model');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const options = (path: string, extra: Partial<Parameters<typeof downloadModel>[0]> = {}) => ({
    url: `${base}${path}`,
    cacheDir: mkdtempSync(join(tmpdir(), 'md-cache-')),
    timeoutMs: 5000,
    maxBytes: 10_000_000,
    retries: 3,
    expectedSha256: undefined,
    backoffBaseMs: 10,
    ...extra,
  });

  it('loads and serves a model from http:// end to end, then reuses the cache', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'md-cache-'));
    const env = { MODEL_SHA256: TINY_SHA, MODEL_CACHE_DIR: cacheDir };
    const model = await loadModel(testConfig(`${base}/ok.onnx`, env));
    expect(model.sha256).toBe(TINY_SHA);
    expect(model.path).toBe(join(cacheDir, `sha256-${TINY_SHA}.onnx`));
    await model.release();
    const before = hits['/ok.onnx'];
    const again = await downloadModel(options('/ok.onnx', { cacheDir, expectedSha256: TINY_SHA }));
    expect(again.fromCache).toBe(true);
    expect(again.bytes).toBe(tinyBytes.length);
    expect(hits['/ok.onnx']).toBe(before);
    // The start-up log line of a cache hit reports the file's real size.
    const steps: [string, Record<string, unknown>][] = [];
    const cached = await loadModel(testConfig(`${base}/ok.onnx`, env), (step, detail) =>
      steps.push([step, detail ?? {}]),
    );
    await cached.release();
    expect(steps.find(([step]) => step === 'fetched')?.[1]).toMatchObject({
      bytes: tinyBytes.length,
      fromCache: true,
    });
  });

  it('retries 5xx with back-off and succeeds', async () => {
    const retries: number[] = [];
    const result = await downloadModel(
      options('/flaky.onnx', { onRetry: (attempt) => retries.push(attempt) }),
    );
    expect(hits['/flaky.onnx']).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(result.sha256).toBe(createHash('sha256').update(tinyBytes).digest('hex'));
    expect(result.bytes).toBe(tinyBytes.length);
  });

  it('gives up after the retries on a timeout, saying so', async () => {
    await expect(
      downloadModel(options('/hang.onnx', { timeoutMs: 150, retries: 1 })),
    ).rejects.toThrow(
      /hang\.onnx: timed out after 150 ms \(MODEL_DOWNLOAD_TIMEOUT_MS\) \(after 2 attempts\)/,
    );
  });

  it('does not retry a 404', async () => {
    await expect(downloadModel(options('/missing.onnx'))).rejects.toThrow(
      /HTTP 404.*\(after 1 attempt\)/,
    );
    expect(hits['/missing.onnx']).toBe(1);
  });

  it('enforces MODEL_MAX_BYTES from content-length and while streaming', async () => {
    await expect(downloadModel(options('/ok.onnx', { maxBytes: 1000 }))).rejects.toThrow(
      /603644 bytes is more than MODEL_MAX_BYTES=1000/,
    );
    const cacheDir = mkdtempSync(join(tmpdir(), 'md-cache-'));
    await expect(
      downloadModel(options('/chunked.onnx', { maxBytes: 5000, cacheDir })),
    ).rejects.toThrow(/more than MODEL_MAX_BYTES=5000 bytes/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('refuses a download whose sha256 differs and leaves nothing in the cache', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'md-cache-'));
    const err = await downloadModel(
      options('/ok.onnx', { cacheDir, expectedSha256: '0'.repeat(64) }),
    ).catch((e: unknown) => e);
    expect((err as Error).cause).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toContain(
      `expected ${'0'.repeat(64)} (MODEL_SHA256), got ${TINY_SHA}`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
