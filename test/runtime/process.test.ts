import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenFor, heldPost, metricValue, MODELS, startRuntime, waitUntil } from './helpers.js';
import { freshRequest, spawnRuntime, urlFrom, type FreshResponse } from './spawn-runtime.js';

const post = (url: string, body: string): Promise<FreshResponse> => freshRequest(url, 'POST', body);

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return {
    status: res.status,
    headers: res.headers,
    json: (await res.json()) as Record<string, unknown>,
  };
}

const text = async (url: string): Promise<string> => (await fetch(url)).text();

describe('the runtime process', () => {
  let modelServer: Server;
  let modelUrl: string;
  beforeAll(async () => {
    const bytes = readFileSync(MODELS.heavy);
    // Answers after a delay, so the runtime is observably listening but not ready.
    modelServer = createServer((_req, res) => void setTimeout(() => res.end(bytes), 1500));
    await new Promise<void>((r) => modelServer.listen(0, '127.0.0.1', r));
    modelUrl = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}/mlp-heavy.onnx`;
  });
  afterAll(async () => {
    modelServer.closeAllConnections();
    await new Promise((r) => modelServer.close(r));
  });

  it('is not ready until the model is loaded and warmed, serves, then drains 50 in-flight requests on SIGTERM', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'md-proc-cache-'));
    const rt = spawnRuntime(
      {
        MODEL_CACHE_DIR: cache,
        LOG_LEVEL: 'debug',
        BATCH_MAX_SIZE: '64',
        // Queued requests would wait the whole minute and time out (504) after 30 s unless
        // SIGTERM flushes the batcher: the statuses below show it did, without a clock.
        BATCH_MAX_DELAY_MS: '60000',
        REQUEST_TIMEOUT_MS: '30000',
        // This test is about work already accepted; shutdown.test.ts covers the delay.
        SHUTDOWN_DELAY_MS: '0',
      },
      ['--model', modelUrl, '--name', 'heavy-cli', '--version', '7'],
    );
    try {
      const url = urlFrom(await rt.waitFor(/"msg":"listening; loading model"/));
      const notReady = await get(`${url}/ready`);
      expect(notReady.status).toBe(503);
      expect(notReady.json).toMatchObject({ ready: false, phase: 'loading' });
      expect((await get(`${url}/v2/health/ready`)).status).toBe(503);
      expect((await get(`${url}/v2/health/live`)).status).toBe(200);
      const early = await post(`${url}/predict`, '{"inputs":{"input":[[0]]}}');
      expect(early.status).toBe(503);
      expect(early.body).toMatch(/model 'heavy-cli' version '7' is loading/);

      await rt.waitFor(/"msg":"model loaded, warmed up and checked: ready"/);
      expect((await get(`${url}/ready`)).json).toEqual({
        ready: true,
        model: 'heavy-cli',
        version: '7',
      });
      const meta = await get(`${url}/v2/models/heavy-cli`, { 'x-request-id': 'trace-me-1' });
      expect(meta.json.versions).toEqual(['7']);
      expect(meta.headers.get('x-request-id')).toBe('trace-me-1');
      const logged = JSON.parse(await rt.waitFor(/"request_id":"trace-me-1"/)) as Record<
        string,
        unknown
      >;
      expect(logged).toMatchObject({
        model: 'heavy-cli',
        version: '7',
        status: 200,
        msg: 'request completed',
      });

      // 25 complete requests wait in the batcher (BATCH_MAX_DELAY_MS=60000) because 25 more
      // are still being received; SIGTERM comes while all 50 are accepted and unanswered.
      const row = Array.from({ length: 512 }, (_, j) => Math.sin(j));
      const body = JSON.stringify({ inputs: { input: [row] } });
      const held = Array.from({ length: 25 }, () => heldPost(`${url}/predict`, body));
      await waitUntil(
        async () =>
          metricValue(await text(`${url}/metrics`), 'modeldeploy_inflight_requests') === 25,
      );
      // These go over fetch's keep-alive connections: draining must close them after answering.
      const queued = Array.from({ length: 25 }, async () => {
        const res = await fetch(`${url}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return {
          status: res.status,
          body: await res.text(),
          connection: res.headers.get('connection'),
        };
      });
      await waitUntil(async () => {
        const metrics = await text(`${url}/metrics`);
        return (
          metricValue(metrics, 'modeldeploy_inflight_requests') === 50 &&
          metricValue(metrics, 'modeldeploy_queue_depth') === 25
        );
      });
      rt.child.kill('SIGTERM');
      await rt.waitFor(/"msg":"shutting down: draining"/);
      for (const h of held) h.finish();
      const inFlight = [...queued, ...held.map((h) => h.response)];
      const results = await Promise.all(inFlight);
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
      expect(
        (JSON.parse(results[49]!.body) as { outputs: { output: number[][] } }).outputs.output,
      ).toHaveLength(1);
      expect(await rt.exited).toBe(0);
      expect(rt.lines.some((l) => l.includes('"msg":"shutting down: draining"'))).toBe(true);
      expect(rt.lines.some((l) => l.includes('"msg":"drained; exiting"'))).toBe(true);
      await expect(fetch(`${url}/health`)).rejects.toThrow();
    } finally {
      rt.child.kill('SIGKILL');
    }
  });

  it('exits 1 with a termination message when a golden request fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-term-'));
    const rt = spawnRuntime({
      MODEL_URI: MODELS.tinyV2,
      MODEL_NAME: 'candidate',
      GOLDEN_REQUESTS: JSON.stringify(goldenFor(MODELS.tiny)),
      TERMINATION_MESSAGE_PATH: join(dir, 'termination-log'),
    });
    expect(await rt.exited).toBe(1);
    const message = readFileSync(join(dir, 'termination-log'), 'utf8');
    expect(message).toMatch(
      /^model 'candidate' version '1' failed to load: golden request 'mlp-tiny-sin-ramp': output 'output' differs at index 0: expected -0\.69\d+, got /,
    );
    expect(
      rt.lines.some((l) => l.includes('"level":"fatal"') && l.includes('golden request')),
    ).toBe(true);
  });

  it('exits 1 on a sha256 mismatch, naming both digests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-term-'));
    const rt = spawnRuntime({
      MODEL_URI: MODELS.tiny,
      MODEL_SHA256: 'a'.repeat(64),
      TERMINATION_MESSAGE_PATH: join(dir, 'termination-log'),
    });
    expect(await rt.exited).toBe(1);
    expect(readFileSync(join(dir, 'termination-log'), 'utf8')).toContain(
      `expected ${'a'.repeat(64)} (MODEL_SHA256), got b70b409c069c570281693803d090271d61c55c4e015690e845c32383f4ddcb77`,
    );
  });

  it('exits 1 on a bad setting, naming the variable, without writing where no directory exists', async () => {
    const rt = spawnRuntime({
      MODEL_URI: MODELS.tiny,
      BATCH_MAX_SIZE: 'zero',
      TERMINATION_MESSAGE_PATH: '/nonexistent-dir/termination-log',
    });
    expect(await rt.exited).toBe(1);
    expect(rt.stderr()).toMatch(/BATCH_MAX_SIZE \(--batch-max-size\): expected a whole number/);
  });
});

describe('shutdown in process', () => {
  it('reports not ready as soon as shutdown begins and still answers accepted work', async () => {
    const rt = await startRuntime(MODELS.tiny, {}, { listen: true });
    const held = heldPost(
      `${rt.url}/predict`,
      JSON.stringify({ inputs: { input: [Array(64).fill(0.5)] } }),
    );
    await waitUntil(
      async () =>
        metricValue(await text(`${rt.url}/metrics`), 'modeldeploy_inflight_requests') === 1,
    );
    const closing = rt.server.shutdown();
    expect(rt.server.state.ready).toBe(false);
    expect(rt.server.state.phase).toBe('draining');
    const ready = await rt.server.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    held.finish();
    const answer = await held.response;
    expect(answer.status).toBe(200);
    expect(
      (JSON.parse(answer.body) as { outputs: { output: number[][] } }).outputs.output[0],
    ).toHaveLength(10);
    await closing;
  });
});
