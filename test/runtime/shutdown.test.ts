import { describe, expect, it } from 'vitest';
import { buildServer } from '../../runtime/src/server.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { metricValue, MODELS, testConfig, waitUntil } from './helpers.js';
import { freshRequest, spawnRuntime, urlFrom } from './spawn-runtime.js';

interface Outcome {
  readonly startedAt: number;
  readonly afterSigterm: boolean;
  readonly status: number | undefined;
  readonly error: string | undefined;
}

const BODY = JSON.stringify({ inputs: { input: [Array.from({ length: 64 }, (_, i) => i / 64)] } });

describe('SIGTERM with fresh connections', () => {
  it('keeps accepting and answering every new connection during SHUTDOWN_DELAY_MS, not ready, then exits 0', async () => {
    // The delay is far longer than the bounded loop below needs; the loop checks that it
    // really ran inside the delay instead of assuming it.
    const rt = spawnRuntime({ MODEL_URI: MODELS.tiny, SHUTDOWN_DELAY_MS: '4000' });
    try {
      const url = urlFrom(await rt.waitFor(/"msg":"listening; loading model"/));
      await rt.waitFor(/"msg":"model loaded, warmed up and checked: ready"/);
      let completed = 0;
      let signalled = false;
      let drainingSeen = false;
      void rt.waitFor(/"msg":"shutting down: draining"/).then(() => (drainingSeen = true));
      const outcomes: Outcome[] = [];
      // Four clients, each opening a new connection per request (as kube-proxy forwards
      // them): SIGTERM lands after 20 answers; each client then sends 10 more once the
      // runtime has logged that it is shutting down. At most 150 requests per client.
      const client = async (): Promise<void> => {
        let afterDraining = 0;
        for (let i = 0; i < 150 && afterDraining < 10; i++) {
          if (drainingSeen) afterDraining++;
          const startedAt = Date.now();
          const afterSigterm = signalled;
          try {
            const res = await freshRequest(`${url}/predict`, 'POST', BODY);
            outcomes.push({ startedAt, afterSigterm, status: res.status, error: undefined });
          } catch (err) {
            outcomes.push({ startedAt, afterSigterm, status: undefined, error: String(err) });
          }
          if (++completed === 20) {
            signalled = true;
            rt.child.kill('SIGTERM');
          }
        }
      };
      await Promise.all([client(), client(), client(), client()]);
      const probe = (path: string): Promise<string> =>
        freshRequest(`${url}${path}`, 'GET').then(
          (res) => `${res.status} ${res.body}`,
          (err: unknown) => String(err),
        );
      const ready = await probe('/ready');
      const v2Ready = await probe('/v2/health/ready');
      const modelReady = await probe('/v2/models/mlp-tiny/ready');

      const failed = outcomes.filter((o) => o.status !== 200);
      expect(failed).toEqual([]);
      expect(outcomes.filter((o) => o.afterSigterm).length).toBeGreaterThanOrEqual(40);
      expect(ready).toMatch(/^503 .*"ready":false,"phase":"draining"/);
      expect(v2Ready).toMatch(/^503 /);
      expect(modelReady).toMatch(/^503 /);
      const stoppedLine = await rt.waitFor(/"msg":"shutdown delay over; no longer accepting/);
      const stoppedAt = Date.parse((JSON.parse(stoppedLine) as { time: string }).time);
      // The premise: every request above started while the runtime was still accepting.
      expect(Math.max(...outcomes.map((o) => o.startedAt))).toBeLessThan(stoppedAt);
      expect(await rt.exited).toBe(0);
      // Compared by the lines' own times, not their order in the pipe.
      const drainedLine = await rt.waitFor(/"msg":"drained; exiting"/);
      const drainedAt = Date.parse((JSON.parse(drainedLine) as { time: string }).time);
      expect(drainedAt).toBeGreaterThanOrEqual(stoppedAt);
    } finally {
      rt.child.kill('SIGKILL');
    }
  });
});

describe('the shutdown delay in process', () => {
  it('serves new connections until the delay ends, then stops accepting and drains', async () => {
    const config = testConfig(MODELS.tiny, { SHUTDOWN_DELAY_MS: '5000' });
    // The test ends the delay itself: no clock involved.
    let endDelay: () => void = () => {};
    const asked: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      asked.push(ms);
      return new Promise((resolve) => (endDelay = resolve));
    };
    const server = await buildServer(config, await loadModel(config), { sleep });
    const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
    const shutdown = server.shutdown();
    expect(asked).toEqual([5000]);
    expect(server.state.phase).toBe('draining');
    for (let i = 0; i < 5; i++) {
      const res = await freshRequest(`${url}/predict`, 'POST', BODY);
      expect(res.status).toBe(200);
    }
    expect((await freshRequest(`${url}/ready`, 'GET')).status).toBe(503);
    expect((await freshRequest(`${url}/v1/models/mlp-tiny`, 'GET')).status).toBe(503);
    endDelay();
    await shutdown;
    await expect(freshRequest(`${url}/health`, 'GET')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('skips the delay for a replica that never became ready (it was never an endpoint)', async () => {
    const config = testConfig(MODELS.tiny, { SHUTDOWN_DELAY_MS: '5000' });
    const asked: number[] = [];
    const sleep = async (ms: number): Promise<void> => void asked.push(ms);
    const server = await buildServer(config, undefined, { sleep });
    await server.shutdown();
    expect(asked).toEqual([]);
  });
});

describe('the hard shutdown deadline', () => {
  it('exits 1 (not an abort) while a long inference runs, saying what was cut short', async () => {
    const rt = spawnRuntime({
      MODEL_URI: MODELS.heavy,
      SESSION_THREAD: 'worker',
      BATCH_MAX_SIZE: '4096',
      BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
      REQUEST_TIMEOUT_MS: '600000',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_GRACE_MS: '1',
    });
    try {
      const url = urlFrom(await rt.waitFor(/"msg":"listening; loading model"/));
      await rt.waitFor(/"msg":"model loaded, warmed up and checked: ready"/);
      // About 1 ms per row on one core: a run of 1024 rows outlasts the 1 ms grace by far.
      const rows = Array.from({ length: 1024 }, (_, r) =>
        Array.from({ length: 512 }, (_, j) => Math.cos(r + j * 0.01)),
      );
      const long = freshRequest(
        `${url}/predict`,
        'POST',
        JSON.stringify({ inputs: { input: rows } }),
      ).catch((err: unknown) => String(err));
      // Taken from the queue into a batch: the run has been handed to the session's worker.
      await waitUntil(async () => {
        const metrics = (await freshRequest(`${url}/metrics`, 'GET')).body;
        return (metricValue(metrics, 'modeldeploy_queue_duration_seconds_count') ?? 0) >= 1;
      }, 30_000);
      rt.child.kill('SIGTERM');
      expect(await rt.exited).toBe(1);
      expect(rt.signal()).toBeNull();
      expect(rt.stderr()).not.toMatch(/terminate called|Napi::Error/);
      const line = JSON.parse(await rt.waitFor(/"msg":"shutdown deadline reached/)) as Record<
        string,
        unknown
      >;
      expect(line).toMatchObject({
        level: 'error',
        graceMs: 1,
        inflight: 1,
        queued: 0,
        running: 1,
      });
      expect(line.msg).toMatch(/1 request in flight .*SHUTDOWN_GRACE_MS/);
      expect(await long).toMatch(/socket hang up|ECONNRESET/);
    } finally {
      rt.child.kill('SIGKILL');
    }
  });
});
