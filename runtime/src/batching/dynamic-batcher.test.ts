import { describe, expect, it } from 'vitest';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import { DynamicBatcher, type BatcherOptions } from './dynamic-batcher.js';

/**
 * A stand-in model for the queue logic only: output = input * 2, and it records batch sizes.
 * Its delay window is a minute, so a batch leaves only because it is full or because the
 * test flushes it: a loop of submissions on a loaded machine can take longer than any short
 * window, and grouping must not depend on how fast the loop ran.
 */
function doubler(overrides: Partial<BatcherOptions> = {}) {
  const batches: number[] = [];
  let fail = false;
  const batcher = new DynamicBatcher({
    maxBatchSize: 4,
    maxDelayMs: 60_000,
    maxQueue: 100,
    timeoutMs: 1000,
    batchable: true,
    inputNames: ['x'],
    run: async (feeds: TensorMap) => {
      const x = feeds.x as HostTensor;
      batches.push(x.dims[0] ?? 0);
      await new Promise((r) => setTimeout(r, 2));
      if (fail) throw new Error('boom');
      return { y: { data: (x.data as Float32Array).map((v) => v * 2), dims: x.dims } };
    },
    ...overrides,
  });
  return { batcher, batches, setFail: (f: boolean) => (fail = f) };
}

const rows = (...values: number[][]): TensorMap => ({
  x: { data: Float32Array.from(values.flat()), dims: [values.length, values[0]?.length ?? 0] },
});

describe('DynamicBatcher', () => {
  it('joins concurrent requests and gives each exactly its rows', async () => {
    const { batcher, batches } = doubler();
    const results = await Promise.all([
      batcher.submit(rows([1, 2])),
      batcher.submit(rows([3, 4], [5, 6])),
      batcher.submit(rows([7, 8])),
    ]);
    expect(batches).toEqual([4]);
    expect(results.map((r) => Array.from((r.y?.data ?? []) as ArrayLike<number>))).toEqual([
      [2, 4],
      [6, 8, 10, 12],
      [14, 16],
    ]);
    expect(results[1]?.y?.dims).toEqual([2, 2]);
  });

  it('caps a batch at maxBatchSize rows and keeps FIFO order', async () => {
    const { batcher, batches } = doubler();
    const submitted = Array.from({ length: 10 }, (_, i) => batcher.submit(rows([i, i])));
    batcher.flush(); // the last two rows would otherwise wait for company
    const all = await Promise.all(submitted);
    expect(batches).toEqual([4, 4, 2]);
    expect(all.map((r) => r.y?.data[0])).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
  });

  it('never joins requests whose trailing dimensions differ', async () => {
    const { batcher, batches } = doubler();
    const submitted = [
      batcher.submit(rows([1, 2])),
      batcher.submit(rows([1, 2, 3])),
      batcher.submit(rows([3, 4])),
    ];
    batcher.flush();
    await Promise.all(submitted);
    expect(batches).toEqual([2, 1]);
  });

  it('does not wait for the delay when nothing else is arriving, and waits while something is', async () => {
    let arriving = false;
    const { batcher, batches } = doubler({ moreArriving: () => arriving });
    const lone = batcher.submit(rows([1]));
    expect(batches).toEqual([1]); // handed to the model inside submit(), before any timer
    await lone;
    arriving = true;
    const first = batcher.submit(rows([2]));
    await new Promise((r) => setTimeout(r, 30));
    expect(batches).toEqual([1]); // still waiting for the request on its way
    arriving = false;
    const second = batcher.submit(rows([3]));
    await Promise.all([first, second]);
    expect(batches).toEqual([1, 2]);
  });

  it('runs one by one when the model is not batchable', async () => {
    const { batcher, batches } = doubler({ batchable: false });
    const submitted = [
      batcher.submit(rows([1])),
      batcher.submit(rows([2])),
      batcher.submit(rows([3])),
    ];
    batcher.flush();
    await Promise.all(submitted);
    expect(batches).toEqual([1, 1, 1]);
  });

  it('refuses work beyond maxQueue with 503 and Retry-After', async () => {
    // The first request starts running at once; the second waits in the queue of one.
    const { batcher } = doubler({ maxQueue: 1, maxBatchSize: 1 });
    const accepted = [batcher.submit(rows([1])), batcher.submit(rows([2]))];
    await expect(batcher.submit(rows([3]))).rejects.toMatchObject({
      statusCode: 503,
      headers: { 'retry-after': '1' },
    });
    await Promise.all(accepted);
  });

  it('times out with 504 and fails only the batch whose run failed', async () => {
    const slow = new DynamicBatcher({
      maxBatchSize: 1,
      maxDelayMs: 0,
      maxQueue: 10,
      timeoutMs: 20,
      batchable: true,
      inputNames: ['x'],
      run: () => new Promise((r) => setTimeout(() => r({}), 60)),
    });
    await expect(slow.submit(rows([1]))).rejects.toMatchObject({ statusCode: 504 });
    const { batcher, setFail } = doubler({ maxBatchSize: 1 });
    setFail(true);
    const failed = batcher.submit(rows([1]));
    await expect(failed).rejects.toMatchObject({
      statusCode: 500,
      message: 'inference failed: boom',
    });
    setFail(false);
    expect(
      Array.from(((await batcher.submit(rows([4]))).y?.data ?? []) as ArrayLike<number>),
    ).toEqual([8]);
  });

  it('bisects a failed batch so only the request that fails alone gets the error', async () => {
    // A model that refuses any batch holding a negative value, like Gather an id out of range.
    const runs: number[] = [];
    const counted = { runs: 0, culprits: 0 };
    const batcher = new DynamicBatcher({
      maxBatchSize: 16,
      maxDelayMs: 1000,
      maxQueue: 100,
      timeoutMs: 5000,
      batchable: true,
      inputNames: ['x'],
      run: async (feeds: TensorMap) => {
        const x = feeds.x as HostTensor;
        runs.push(x.dims[0] ?? 0);
        if ((x.data as Float32Array).some((v) => v < 0))
          throw new Error('indices element out of data bounds, idx=-1');
        return { y: { data: (x.data as Float32Array).map((v) => v * 2), dims: x.dims } };
      },
      observer: {
        queueDepth: () => {},
        queued: () => {},
        inference: () => {},
        isolationRun: () => counted.runs++,
        isolatedFailure: () => counted.culprits++,
      },
    });
    const values = Array.from({ length: 16 }, (_, i) => (i === 11 ? -1 : i));
    const answers = await Promise.allSettled(values.map((v) => batcher.submit(rows([v]))));
    answers.forEach((a, i) => {
      if (i === 11) {
        expect(a).toMatchObject({
          status: 'rejected',
          reason: { statusCode: 400, message: expect.stringMatching(/^input 'x' holds a value/) },
        });
      } else {
        expect(a.status).toBe('fulfilled');
        const y = a.status === 'fulfilled' ? a.value.y : undefined;
        expect(Array.from((y?.data ?? []) as ArrayLike<number>)).toEqual([values[i]! * 2]);
      }
    });
    // Depth first: 16 fails; 0–7 pass; 8–15 fail; 8–11 fail; 8–9 pass; 10–11 fail; 10 passes;
    // 11 fails alone; then 12–15 pass. Two runs per level, as the halves are tried in order.
    expect(runs).toEqual([16, 8, 8, 4, 2, 2, 1, 1, 4]);
    expect(counted).toEqual({ runs: 8, culprits: 1 });
  });

  it('finishes queued work after close and refuses new work', async () => {
    const { batcher } = doubler();
    const pending = batcher.submit(rows([1]));
    batcher.close();
    await expect(batcher.submit(rows([2]))).rejects.toMatchObject({ statusCode: 503 });
    expect((await pending).y?.data[0]).toBe(2);
    await batcher.whenIdle();
  });
  it('with maxInFlight 2 hands over a full next batch while one runs, and holds a partial one', async () => {
    // Runs finish only when the test says so, to see what starts while another runs.
    const started: { rows: number; finish: () => void }[] = [];
    const batcher = new DynamicBatcher({
      maxBatchSize: 4,
      maxDelayMs: 5,
      maxQueue: 100,
      timeoutMs: 5000,
      batchable: true,
      inputNames: ['x'],
      moreArriving: () => false,
      maxInFlight: 2,
      run: (feeds: TensorMap) =>
        new Promise((resolve) => {
          const x = feeds.x as HostTensor;
          const y = { data: (x.data as Float32Array).map((v) => v * 2), dims: x.dims };
          started.push({ rows: x.dims[0] ?? 0, finish: () => resolve({ y }) });
        }),
    });
    const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
    const answers = [batcher.submit(rows([1]))];
    await tick();
    expect(started.map((s) => s.rows)).toEqual([1]);
    answers.push(batcher.submit(rows([2], [3])));
    await tick();
    expect(started).toHaveLength(1); // not full: it could still grow while the first runs
    answers.push(batcher.submit(rows([4], [5])));
    await tick();
    expect(started.map((s) => s.rows)).toEqual([1, 4]); // full: handed over at once
    answers.push(batcher.submit(rows([6])));
    await tick();
    expect(started).toHaveLength(2); // two in flight already
    started[0]!.finish();
    await tick();
    expect(started).toHaveLength(2); // one running, and the queued row is not a full batch
    started[1]!.finish();
    await tick();
    expect(started.map((s) => s.rows)).toEqual([1, 4, 1]);
    started[2]!.finish();
    const results = await Promise.all(answers);
    expect(results.map((r) => Array.from((r.y?.data ?? []) as ArrayLike<number>))).toEqual([
      [2],
      [4, 6],
      [8, 10],
      [12],
    ]);
    await batcher.whenIdle();
  });

  it('with the default maxInFlight a full batch waits for the running one', async () => {
    let finishFirst: (() => void) | undefined;
    const batches: number[] = [];
    const batcher = new DynamicBatcher({
      maxBatchSize: 2,
      maxDelayMs: 5,
      maxQueue: 100,
      timeoutMs: 5000,
      batchable: true,
      inputNames: ['x'],
      moreArriving: () => false,
      run: (feeds: TensorMap) => {
        const x = feeds.x as HostTensor;
        batches.push(x.dims[0] ?? 0);
        return new Promise((resolve) => {
          const done = (): void => resolve({ y: x });
          if (finishFirst === undefined) finishFirst = done;
          else done();
        });
      },
    });
    const first = batcher.submit(rows([1]));
    await new Promise((r) => setImmediate(r));
    const next = [batcher.submit(rows([2])), batcher.submit(rows([3]))];
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([1]);
    finishFirst!();
    await Promise.all([first, ...next]);
    expect(batches).toEqual([1, 2]);
  });
});
