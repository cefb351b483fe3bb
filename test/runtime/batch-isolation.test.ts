import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, metricValue, MODELS, startRuntime, type TestRuntime } from './helpers.js';

interface V2Output {
  readonly name: string;
  readonly data: number[];
}

/** Four ids of the 16-row embedding table per request, distinct per index. */
const idsFor = (i: number): number[] => [i % 16, (i * 3) % 16, (i * 5 + 1) % 16, (i * 7 + 2) % 16];

// Both session placements: on the JavaScript thread, and in the worker thread.
describe.each(['main', 'worker'])('SESSION_THREAD=%s: one bad request in a batch', (thread) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.int64, {
      MODEL_NAME: 'emb',
      SESSION_THREAD: thread,
      // Every request sent below waits for the others: they form one batch.
      BATCH_DISPATCH: 'delay',
      BATCH_MAX_DELAY_MS: '300',
      BATCH_MAX_SIZE: '64',
    });
  });
  afterAll(() => rt.close());

  const infer = (ids: number[]) =>
    call(rt.server, 'POST', '/v2/models/emb/infer', {
      inputs: [{ name: 'ids', shape: [1, 4], datatype: 'INT64', data: ids }],
    });

  it('fails only the culprit, with a 400 naming the input; the others get their own answers', async () => {
    const good = Array.from({ length: 11 }, (_, i) => idsFor(i));
    const bad = [3, 100, 1, 2];
    const all = [...good.slice(0, 5), bad, ...good.slice(5)];
    const answers = await Promise.all(all.map(infer));
    // The good requests without the bad one give the reference answers.
    const reference = (await Promise.all(good.map(infer))).map((r) => r.body.outputs as V2Output[]);

    const badAnswer = answers[5]!;
    expect(badAnswer.status).toBe(400);
    expect(badAnswer.body.error).toMatch(/input 'ids'.*out of data bounds.*idx=100/);
    const goodAnswers = [...answers.slice(0, 5), ...answers.slice(6)];
    goodAnswers.forEach((res, i) => {
      expect(res.status, `request ${i}: ${res.text.slice(0, 200)}`).toBe(200);
      const outputs = res.body.outputs as V2Output[];
      const sum = outputs.find((o) => o.name === 'ids_sum')!;
      expect(sum.data).toEqual([good[i]!.reduce((a, b) => a + b, 0)]);
      expect(outputs).toEqual(reference[i]);
    });
    const metrics = (await call(rt.server, 'GET', '/metrics')).text;
    expect(metricValue(metrics, 'modeldeploy_batch_isolated_failures_total')).toBe(1);
    expect(metricValue(metrics, 'modeldeploy_batch_isolation_runs_total')).toBeGreaterThan(1);
  });

  it('isolates several culprits in one batch', async () => {
    const all = Array.from({ length: 12 }, (_, i) => (i % 4 === 1 ? [i, -40, 0, 0] : idsFor(i)));
    const answers = await Promise.all(all.map(infer));
    answers.forEach((res, i) => {
      if (i % 4 === 1) {
        expect(res.status).toBe(400);
        expect(res.body.error).toMatch(/input 'ids'.*idx=-40/);
      } else {
        expect(res.status).toBe(200);
      }
    });
  });
});
