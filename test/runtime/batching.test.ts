import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceModel, type InferenceModel } from '../../runtime/src/model/session.js';
import { DynamicBatcher } from '../../runtime/src/batching/dynamic-batcher.js';
import {
  call,
  heldPost,
  maxAbsDiff,
  metricValue,
  MODELS,
  startRuntime,
  testConfig,
  waitUntil,
  type TestRuntime,
} from './helpers.js';

/** A distinct, reproducible 64-wide row per index. */
const rowFor = (i: number): number[] =>
  Array.from({ length: 64 }, (_, j) => Math.sin(i * 0.37 + j * 0.11) * 2);

async function unbatched(model: InferenceModel, row: number[]): Promise<number[]> {
  const out = await model.run({ input: { data: Float32Array.from(row), dims: [1, 64] } });
  return Array.from(out.output!.data as Float32Array);
}

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('dynamic batching over real sockets', () => {
  let rt: TestRuntime;
  let reference: InferenceModel;
  beforeAll(async () => {
    // A wide window: batches here leave because they are full or nothing more is arriving,
    // never because a loaded machine received the bodies more slowly than a short window.
    rt = await startRuntime(
      MODELS.tiny,
      { MODEL_NAME: 'mlp-tiny', BATCH_MAX_SIZE: '32', BATCH_MAX_DELAY_MS: '2000' },
      { listen: true },
    );
    const config = testConfig(MODELS.tiny);
    reference = await createInferenceModel(MODELS.tiny, {
      session: config.session,
      ortTelemetry: false,
      ortLogSeverity: 4,
    });
  });
  afterAll(async () => {
    await rt.close();
    await reference.release();
  });

  it('gives each of 200 concurrent distinct requests exactly its own answer', async () => {
    const n = 200;
    const expected = await Promise.all(
      Array.from({ length: n }, (_, i) => unbatched(reference, rowFor(i))),
    );
    // Mixed protocols and sizes: every 10th request sends two rows (its row and the next index's).
    const responses = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        if (i % 10 === 9) {
          const res = await post(`${rt.url}/predict`, {
            inputs: { input: [rowFor(i), rowFor(i + 1000)] },
          });
          return { status: res.status, rows: (res.json.outputs as { output: number[][] }).output };
        }
        if (i % 2 === 0) {
          const res = await post(`${rt.url}/predict`, { inputs: { input: [rowFor(i)] } });
          return { status: res.status, rows: (res.json.outputs as { output: number[][] }).output };
        }
        const res = await post(`${rt.url}/v2/models/mlp-tiny/infer`, {
          inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32', data: rowFor(i) }],
        });
        return { status: res.status, rows: [(res.json.outputs as { data: number[] }[])[0]!.data] };
      }),
    );
    for (let i = 0; i < n; i++) {
      const r = responses[i]!;
      expect(r.status).toBe(200);
      expect(maxAbsDiff(r.rows[0]!, expected[i]!), `request ${i}`).toBeLessThan(1e-5);
      if (i % 10 === 9) {
        expect(maxAbsDiff(r.rows[1]!, await unbatched(reference, rowFor(i + 1000)))).toBeLessThan(
          1e-5,
        );
      }
    }
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metricValue(metrics, 'modeldeploy_batch_size_sum')).toBe(n + n / 10);
    expect(metricValue(metrics, 'modeldeploy_queue_depth')).toBe(0);
    expect(metricValue(metrics, 'modeldeploy_inflight_requests')).toBe(0);
  });

  it('joins requests that arrive together into batches of at most BATCH_MAX_SIZE rows', async () => {
    const before = await (await fetch(`${rt.url}/metrics`)).text();
    const runsBefore = metricValue(before, 'modeldeploy_batch_size_count')!;
    // 40 requests whose bodies are held back; then all bodies complete at once.
    const held = Array.from({ length: 40 }, (_, i) =>
      heldPost(`${rt.url}/predict`, JSON.stringify({ inputs: { input: [rowFor(500 + i)] } })),
    );
    await waitUntil(async () => {
      const m = await (await fetch(`${rt.url}/metrics`)).text();
      return metricValue(m, 'modeldeploy_inflight_requests') === 40;
    });
    for (const h of held) h.finish();
    const answers = await Promise.all(held.map((h) => h.response));
    for (let i = 0; i < 40; i++) {
      expect(answers[i]!.status).toBe(200);
      const got = (JSON.parse(answers[i]!.body) as { outputs: { output: number[][] } }).outputs
        .output[0]!;
      expect(maxAbsDiff(got, await unbatched(reference, rowFor(500 + i)))).toBeLessThan(1e-5);
    }
    const after = await (await fetch(`${rt.url}/metrics`)).text();
    const runs = metricValue(after, 'modeldeploy_batch_size_count')! - runsBefore;
    expect(runs).toBeGreaterThanOrEqual(2); // 40 rows cannot fit one batch of 32
    expect(runs).toBeLessThanOrEqual(8);
    expect(metricValue(after, 'modeldeploy_batch_size_bucket', { le: '32' })).toBe(
      metricValue(after, 'modeldeploy_batch_size_count'),
    );
  });
});

describe('the batcher on a real session', () => {
  it('forms batches from 200 concurrent submissions and returns each caller its rows', async () => {
    const config = testConfig(MODELS.tiny);
    const model = await createInferenceModel(MODELS.tiny, {
      session: config.session,
      ortTelemetry: false,
      ortLogSeverity: 4,
    });
    const sizes: number[] = [];
    // A minute-long window and a flush after the loop: batches leave when full, so their
    // sizes do not depend on how long 200 submissions took on a loaded machine.
    const batcher = new DynamicBatcher({
      maxBatchSize: 32,
      maxDelayMs: 60_000,
      maxQueue: 1000,
      timeoutMs: 10_000,
      batchable: true,
      inputNames: ['input'],
      run: (feeds) => model.run(feeds),
      observer: {
        queueDepth: () => {},
        queued: () => {},
        inference: (_s, rows) => sizes.push(rows),
      },
    });
    // Every 7th request carries two rows.
    const rowsOf = (i: number): number[][] =>
      i % 7 === 0 ? [rowFor(i), rowFor(i + 1)] : [rowFor(i)];
    const submitted = Array.from({ length: 200 }, (_, i) =>
      batcher.submit({
        input: { data: Float32Array.from(rowsOf(i).flat()), dims: [rowsOf(i).length, 64] },
      }),
    );
    batcher.flush();
    const results = await Promise.all(submitted);
    for (let i = 0; i < 200; i++) {
      const out = Array.from(results[i]!.output!.data as Float32Array);
      const rows = rowsOf(i);
      expect(out.length).toBe(rows.length * 10);
      for (let r = 0; r < rows.length; r++) {
        const want = await unbatched(model, rows[r]!);
        expect(
          maxAbsDiff(out.slice(r * 10, r * 10 + 10), want),
          `request ${i} row ${r}`,
        ).toBeLessThan(1e-5);
      }
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200 + Math.ceil(200 / 7));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(32);
    expect(sizes.length).toBeLessThanOrEqual(10);
    await model.release();
  });
});

describe('a model without a dynamic batch dimension', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(
      MODELS.fixed,
      { BATCH_MAX_SIZE: '32', BATCH_MAX_DELAY_MS: '5' },
      { listen: true },
    );
  });
  afterAll(() => rt.close());

  it('runs concurrent requests one by one, each correct', async () => {
    const config = testConfig(MODELS.fixed);
    const reference = await createInferenceModel(MODELS.fixed, {
      session: config.session,
      ortTelemetry: false,
      ortLogSeverity: 4,
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(`${rt.url}/predict`, { inputs: { input: [rowFor(i)] } }),
      ),
    );
    for (let i = 0; i < 20; i++) {
      expect(results[i]!.status).toBe(200);
      const got = (results[i]!.json.outputs as { output: number[][] }).output[0]!;
      expect(maxAbsDiff(got, await unbatched(reference, rowFor(i)))).toBeLessThan(1e-5);
    }
    await reference.release();
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metricValue(metrics, 'modeldeploy_batch_size_count')).toBe(20);
    expect(metricValue(metrics, 'modeldeploy_batch_size_sum')).toBe(20);
  });
});

describe('back-pressure on the heavy model', () => {
  const heavyRows = (rows: number): number[][] =>
    Array.from({ length: rows }, (_, r) =>
      Array.from({ length: 512 }, (_, j) => Math.cos(r + j * 0.01)),
    );

  it('answers 503 with Retry-After when the queue is full, and serves the rest', async () => {
    const rt = await startRuntime(MODELS.heavy, {
      MODEL_NAME: 'heavy',
      BATCH_MAX_SIZE: '1',
      BATCH_MAX_QUEUE: '2',
    });
    try {
      const body = { inputs: { input: heavyRows(16) } };
      const results = await Promise.all(
        Array.from({ length: 12 }, () => call(rt.server, 'POST', '/predict', body)),
      );
      const busy = results.filter((r) => r.status === 503);
      const ok = results.filter((r) => r.status === 200);
      expect(busy.length).toBeGreaterThan(0);
      expect(ok.length).toBeGreaterThanOrEqual(3);
      expect(busy.length + ok.length).toBe(12);
      expect(busy[0]!.headers['retry-after']).toBe('1');
      expect(busy[0]!.body.error).toMatch(/2 requests already queued \(BATCH_MAX_QUEUE\)/);
      expect((ok[0]!.body.outputs as { output: number[][] }).output).toHaveLength(16);
    } finally {
      await rt.close();
    }
  });

  it('answers 504 when a request exceeds REQUEST_TIMEOUT_MS, queued or running, and keeps serving', async () => {
    const rt = await startRuntime(MODELS.heavy, {
      MODEL_NAME: 'heavy',
      BATCH_MAX_SIZE: '1',
      REQUEST_TIMEOUT_MS: '40',
      SESSION_THREAD: 'worker',
    });
    try {
      // With the session in a worker, a second full batch (here one row) is handed to the
      // worker while the first runs; a third waits in the batcher's queue.
      const batcher = rt.server.state.serving!.batcher;
      const big = call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(256) } });
      await waitUntil(() => batcher.running === 1, 5000);
      const second = call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(1) } });
      await waitUntil(() => batcher.running === 2, 5000);
      const third = call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(1) } });
      const running = 'request timed out after 40 ms while running (REQUEST_TIMEOUT_MS)';
      expect(await big).toMatchObject({ status: 504, body: { error: running } });
      expect(await second).toMatchObject({ status: 504, body: { error: running } });
      const queued = await third;
      expect(queued.status).toBe(504);
      expect(queued.body.error).toMatch(/while queued/);
      await batcher.whenIdle();
      const after = await call(rt.server, 'POST', '/predict', { inputs: { input: heavyRows(1) } });
      expect(after.status).toBe(200);
    } finally {
      await rt.close();
    }
  });
});

describe('BATCH_DISPATCH', () => {
  const body = { inputs: { input: [rowFor(1)] } };

  it('eager (default) sends a lone request at once instead of waiting BATCH_MAX_DELAY_MS', async () => {
    // A window of a minute and the default 10 s REQUEST_TIMEOUT_MS: a request that waited
    // for the window would be answered 504, so a 200 shows it left at once.
    const rt = await startRuntime(MODELS.tiny, { BATCH_MAX_DELAY_MS: '60000' });
    try {
      expect((await call(rt.server, 'POST', '/predict', body)).status).toBe(200);
    } finally {
      await rt.close();
    }
  });

  it('delay keeps a lone request queued for company until the window ends', async () => {
    const rt = await startRuntime(MODELS.tiny, {
      BATCH_DISPATCH: 'delay',
      BATCH_MAX_DELAY_MS: '60000',
      REQUEST_TIMEOUT_MS: '120000',
    });
    try {
      const batcher = rt.server.state.serving!.batcher;
      const answer = call(rt.server, 'POST', '/predict', body);
      await waitUntil(() => batcher.depth === 1, 10_000);
      // Several turns of the event loop later it is still queued, not running.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(batcher.depth).toBe(1);
      expect(batcher.running).toBe(0);
      batcher.flush(); // what the end of the window (or shutdown) does
      expect((await answer).status).toBe(200);
    } finally {
      await rt.close();
    }
  });
});

describe('eager dispatch and clients that hang up', () => {
  it('does not keep waiting for a request whose client hung up mid-body', async () => {
    // A minute-long window and the default 10 s REQUEST_TIMEOUT_MS: if the batcher still
    // counted the hung-up request as arriving, the next request would wait and get a 504.
    const rt = await startRuntime(MODELS.tiny, { BATCH_MAX_DELAY_MS: '60000' }, { listen: true });
    try {
      const held = heldPost(
        `${rt.url}/predict`,
        JSON.stringify({ inputs: { input: [rowFor(2)] } }),
      );
      held.response.catch(() => {});
      await waitUntil(async () => {
        const m = await (await fetch(`${rt.url}/metrics`)).text();
        return metricValue(m, 'modeldeploy_inflight_requests') === 1;
      });
      held.abort();
      await waitUntil(async () => {
        const m = await (await fetch(`${rt.url}/metrics`)).text();
        return metricValue(m, 'modeldeploy_inflight_requests') === 0;
      });
      const res = await call(rt.server, 'POST', '/predict', { inputs: { input: [rowFor(3)] } });
      expect(res.status).toBe(200);
    } finally {
      await rt.close();
    }
  });
});
