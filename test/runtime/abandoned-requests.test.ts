import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { call, metricValue, MODELS, startRuntime, waitUntil } from './helpers.js';

const heavyRows = (rows: number): number[][] =>
  Array.from({ length: rows }, (_, r) =>
    Array.from({ length: 512 }, (_, j) => Math.cos(r + j * 0.01)),
  );

/** Runs the model finished (one per batch), from the runtime's own metrics. */
async function runsCompleted(metrics: () => Promise<string>): Promise<number> {
  return metricValue(await metrics(), 'modeldeploy_inference_duration_seconds_count') ?? 0;
}

/** A POST whose client hangs up on demand; resolves when the socket is gone. */
function abandonablePost(url: string, body: string): { hangUp(): void } {
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json' },
  });
  req.on('error', () => {});
  req.end(body);
  return { hangUp: () => req.destroy() };
}

describe('requests nobody waits for any more are not computed', () => {
  it('skips a batch whose only request timed out (504) before its run started', async () => {
    const rt = await startRuntime(MODELS.heavy, {
      MODEL_NAME: 'heavy',
      BATCH_MAX_SIZE: '1',
      REQUEST_TIMEOUT_MS: '40',
      SESSION_THREAD: 'worker',
    });
    const metrics = async (): Promise<string> => (await call(rt.server, 'GET', '/metrics')).text;
    try {
      // The first run computes 256 rows; the second request's batch is handed to the worker
      // behind it and times out there, before its own run can start.
      const batcher = rt.server.state.serving!.batcher;
      const big = call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(256) } });
      await waitUntil(() => batcher.running === 1, 5000);
      const second = call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(1) } });
      await waitUntil(() => batcher.running === 2, 5000);
      expect((await big).status).toBe(504);
      expect((await second).status).toBe(504);
      await batcher.whenIdle();
      expect(await runsCompleted(metrics)).toBe(1);
      expect(
        metricValue(await metrics(), 'modeldeploy_requests_dropped_total', { reason: 'timeout' }),
      ).toBe(1);
    } finally {
      await rt.close();
    }
  });

  it('drops the requests of clients that hung up, queued or handed to the worker', async () => {
    const rt = await startRuntime(
      MODELS.heavy,
      {
        MODEL_NAME: 'heavy',
        BATCH_MAX_SIZE: '1',
        REQUEST_TIMEOUT_MS: '600000',
        SESSION_THREAD: 'worker',
      },
      { listen: true },
    );
    const metrics = async (): Promise<string> => (await call(rt.server, 'GET', '/metrics')).text;
    try {
      const batcher = rt.server.state.serving!.batcher;
      const big = call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(512) } });
      await waitUntil(() => batcher.running === 1, 5000);
      const body = JSON.stringify({ inputs: { input: heavyRows(1) } });
      const handedOver = abandonablePost(`${rt.url}/predict`, body);
      await waitUntil(() => batcher.running === 2, 5000);
      const queued = abandonablePost(`${rt.url}/predict`, body);
      await waitUntil(() => batcher.depth === 1, 5000);
      handedOver.hangUp();
      queued.hangUp();
      await waitUntil(async () => {
        const text = await metrics();
        return (
          metricValue(text, 'modeldeploy_requests_dropped_total', { reason: 'client_gone' }) === 2
        );
      }, 10_000);
      expect((await big).status).toBe(200);
      await batcher.whenIdle();
      expect(batcher.depth).toBe(0);
      expect(await runsCompleted(metrics)).toBe(1);
      const after = await call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(1) } });
      expect(after.status).toBe(200);
    } finally {
      await rt.close();
    }
  });
});
