import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamicBatcher } from '../../runtime/src/batching/dynamic-batcher.js';
import type { TensorMap } from '../../runtime/src/tensor/host-tensor.js';
import { runGoldenRequests } from '../../runtime/src/model/golden.js';
import type { LoadedModel } from '../../runtime/src/model/load-model.js';
import {
  createInferenceModel,
  type InferenceModel,
  type SessionSettings,
} from '../../runtime/src/model/session.js';
import { openPlacedModel, threadForBatchTime } from '../../runtime/src/model/session-placement.js';
import { createWorkerInferenceModel } from '../../runtime/src/model/worker-session.js';
import { buildServer } from '../../runtime/src/server.js';
import { call, goldenFor, MODELS, startRuntime, testConfig } from './helpers.js';

const settings: SessionSettings = {
  session: testConfig(MODELS.tiny).session,
  ortTelemetry: false,
  ortLogSeverity: 4,
};

/** A distinct, reproducible row of `width` floats per index. */
const rowFor = (i: number, width: number): Float32Array =>
  Float32Array.from({ length: width }, (_, j) => Math.sin(i * 0.37 + j * 0.11) * 2);

const outputOf = (outputs: TensorMap): number[] => Array.from(outputs.output!.data as Float32Array);

/** A worker model whose Worker the test can reach, to stop it the way a crash would. */
async function spawnWorkerModel(path: string): Promise<{ model: InferenceModel; worker: Worker }> {
  let worker: Worker | undefined;
  const model = await createWorkerInferenceModel(path, settings, {
    onSpawn: (w) => (worker = w),
  });
  if (worker === undefined) throw new Error('onSpawn was not called');
  return { model, worker };
}

describe('session in a worker thread (SESSION_THREAD=worker)', () => {
  const models: Partial<
    Record<'tiny' | 'heavy', { worker: InferenceModel; main: InferenceModel }>
  > = {};
  beforeAll(async () => {
    for (const key of ['tiny', 'heavy'] as const) {
      models[key] = {
        worker: await createWorkerInferenceModel(MODELS[key], settings),
        main: await createInferenceModel(MODELS[key], settings),
      };
    }
  });
  afterAll(async () => {
    for (const pair of Object.values(models)) {
      await pair.worker.release();
      await pair.main.release();
    }
  });

  it.each(['tiny', 'heavy'] as const)(
    'reproduces the golden outputs of %s exactly as the in-thread session does',
    async (key) => {
      const pair = models[key]!;
      expect(pair.worker.signature).toEqual(pair.main.signature);
      // Throws GoldenCheckError on the first element outside the golden tolerance.
      await runGoldenRequests(pair.worker, goldenFor(MODELS[key]));
      const width = pair.main.signature.inputs[0]!.shape[1]!;
      for (const rows of [1, 7, 32]) {
        const data = new Float32Array(rows * width);
        for (let r = 0; r < rows; r++) data.set(rowFor(r, width), r * width);
        const fromMain = await pair.main.run({
          input: { data: data.slice(), dims: [rows, width] },
        });
        const fromWorker = await pair.worker.run({ input: { data, dims: [rows, width] } });
        expect(fromWorker.output!.dims).toEqual([rows, 10]);
        expect(outputOf(fromWorker)).toEqual(outputOf(fromMain));
      }
    },
  );

  it('moves a whole-buffer input to the worker and copies a view on a larger buffer', async () => {
    const model = models.tiny!.worker;
    const whole = rowFor(1, 64);
    const expected = outputOf(
      await models.tiny!.main.run({ input: { data: rowFor(1, 64), dims: [1, 64] } }),
    );
    expect(outputOf(await model.run({ input: { data: whole, dims: [1, 64] } }))).toEqual(expected);
    expect(whole.byteLength).toBe(0); // transferred: detached here, no copy made

    const backing = new Float32Array(3 * 64);
    backing.set(rowFor(1, 64), 64);
    const view = backing.subarray(64, 128);
    expect(outputOf(await model.run({ input: { data: view, dims: [1, 64] } }))).toEqual(expected);
    // Copied: the larger buffer (and its other rows) stays usable by whoever owns it.
    expect(backing.byteLength).toBe(3 * 64 * 4);
    expect(Array.from(view)).toEqual(Array.from(rowFor(1, 64)));
  });

  it('rejects a failing run with onnxruntime’s message, and the next run still works', async () => {
    const model = models.tiny!.worker;
    await expect(
      model.run({ input: { data: new Float32Array(63), dims: [1, 63] } }),
    ).rejects.toThrow(/dimension|shape|input/i);
    await expect(model.run({})).rejects.toThrow("input 'input' is missing");
    const out = await model.run({ input: { data: rowFor(2, 64), dims: [1, 64] } });
    expect(outputOf(out)).toEqual(
      outputOf(await models.tiny!.main.run({ input: { data: rowFor(2, 64), dims: [1, 64] } })),
    );
  });

  it.each([1, 2])(
    'gives each of 300 concurrent batched requests exactly its own rows (%i batches in flight)',
    async (maxInFlight) => {
      const pair = models.heavy!;
      const width = 512;
      const batchSizes: number[] = [];
      const batcher = new DynamicBatcher({
        maxBatchSize: 32,
        maxDelayMs: 2,
        maxQueue: 1000,
        timeoutMs: 30_000,
        batchable: true,
        inputNames: ['input'],
        run: (feeds) => pair.worker.run(feeds),
        maxInFlight,
        observer: {
          queueDepth: () => {},
          queued: () => {},
          inference: (_seconds, rows) => batchSizes.push(rows),
        },
      });
      // Every 7th request has two rows, so batches mix request sizes.
      const requests = Array.from({ length: 300 }, (_, i) => {
        const rows = i % 7 === 6 ? 2 : 1;
        const data = new Float32Array(rows * width);
        for (let r = 0; r < rows; r++) data.set(rowFor(i * 10 + r, width), r * width);
        return { data, dims: [rows, width] };
      });
      const expected = await Promise.all(
        requests.map(async (t) =>
          outputOf(await pair.main.run({ input: { data: t.data.slice(), dims: t.dims } })),
        ),
      );
      const answers = await Promise.all(requests.map((t) => batcher.submit({ input: t })));
      answers.forEach((answer, i) => {
        expect(answer.output!.dims).toEqual([requests[i]!.dims[0], 10]);
        expect(outputOf(answer)).toEqual(expected[i]);
      });
      // The test means something only if requests were actually joined.
      expect(Math.max(...batchSizes)).toBeGreaterThan(1);
      expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(300 + Math.floor(300 / 7));
    },
  );
});

describe('session worker life cycle', () => {
  it('refuses a file that is not a model with onnxruntime’s reason', async () => {
    await expect(
      createWorkerInferenceModel(MODELS.tiny.replace(/\.onnx$/, '.golden.json'), settings),
    ).rejects.toThrow(/protobuf|parse|load model/i);
  });

  it('release lets queued runs finish, then ends the worker; later runs are refused', async () => {
    const { model, worker } = await spawnWorkerModel(MODELS.tiny);
    const failures: string[] = [];
    model.onFailure((reason) => failures.push(reason));
    const exit = once(worker, 'exit');
    const queued = model.run({ input: { data: rowFor(3, 64), dims: [1, 64] } });
    await model.release();
    expect((await queued).output!.dims).toEqual([1, 10]);
    expect(await exit).toEqual([0]);
    expect(worker.threadId).toBe(-1);
    await expect(model.run({ input: { data: rowFor(3, 64), dims: [1, 64] } })).rejects.toThrow(
      /released/,
    );
    expect(failures).toEqual([]);
  });

  it('a worker that dies rejects the run it was handed and every later one, and reports the failure once', async () => {
    const { model, worker } = await spawnWorkerModel(MODELS.heavy);
    const failures: string[] = [];
    model.onFailure((reason) => failures.push(reason));
    // Stopped while idle, as an uncaught exception in the worker would stop it: a stop
    // inside onnxruntime's native run aborts the process instead (see the next test).
    const dying = worker.terminate();
    const handedOver = model.run({ input: { data: rowFor(1, 512), dims: [1, 512] } });
    await dying;
    await expect(handedOver).rejects.toThrow(/onnxruntime worker thread exited/);
    await expect(model.run({ input: { data: rowFor(1, 512), dims: [1, 512] } })).rejects.toThrow(
      /onnxruntime worker thread exited/,
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/onnxruntime worker thread exited \(code 1\)/);
    // A listener added after the failure hears it at once.
    const late: string[] = [];
    model.onFailure((reason) => late.push(reason));
    expect(late).toEqual(failures);
    await model.release();
  });

  it('a release that times out during a long run waits for the run, then ends the worker; the process lives', async () => {
    let worker: Worker | undefined;
    const model = await createWorkerInferenceModel(MODELS.heavy, settings, {
      onSpawn: (w) => (worker = w),
      releaseTimeoutMs: 1,
    });
    const exit = once(worker!, 'exit');
    // 2048 rows of the heavy model outlast the 1 ms release timeout many times over.
    const long = model.run({ input: { data: new Float32Array(2048 * 512), dims: [2048, 512] } });
    // The run behind it never starts: refused with the reason, not lost.
    const queued = expect(
      model.run({ input: { data: rowFor(1, 512), dims: [1, 512] } }),
    ).rejects.toThrow(/not run: the model session is being stopped|released/);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await model.release();
    await exit;
    expect(worker!.threadId).toBe(-1);
    // The long run posted its answer before the worker was ended, and it still arrives.
    expect((await long).output!.dims).toEqual([2048, 10]);
    await queued;
  });

  it('the server reports a dead worker: not ready, not live, inference 503 with the reason', async () => {
    const { model, worker } = await spawnWorkerModel(MODELS.tiny);
    const config = testConfig(MODELS.tiny, { MODEL_NAME: 'mlp-tiny' });
    const loaded: LoadedModel = {
      signature: model.signature,
      run: (feeds, outputNames) => model.run(feeds, outputNames),
      release: () => model.release(),
      onFailure: (listener) => model.onFailure(listener),
      abandon: () => model.abandon(),
      name: 'mlp-tiny',
      version: '1',
      sha256: 'unused',
      path: MODELS.tiny,
      thread: 'worker',
    };
    const server = await buildServer(config, loaded);
    try {
      const body = { inputs: { input: [Array.from(rowFor(4, 64))] } };
      expect((await call(server, 'POST', '/predict', body)).status).toBe(200);
      expect((await call(server, 'GET', '/health')).status).toBe(200);

      await worker.terminate();
      const ready = await call(server, 'GET', '/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ ready: false, phase: 'failed' });
      expect(String(ready.body.reason)).toMatch(
        /^model session failed: the onnxruntime worker thread exited/,
      );
      expect((await call(server, 'GET', '/health')).status).toBe(503);
      expect((await call(server, 'GET', '/v2/health/live')).status).toBe(503);
      expect((await call(server, 'GET', '/v2/health/ready')).status).toBe(503);
      const infer = await call(server, 'POST', '/predict', body);
      expect(infer.status).toBe(503);
      expect(infer.body.error).toMatch(/onnxruntime worker thread exited/);
    } finally {
      await server.shutdown();
    }
  });
});

describe('SESSION_THREAD', () => {
  it('serves the same answers with the session on the main thread and in a worker', async () => {
    const body = {
      inputs: { input: [Array.from(rowFor(5, 64)), Array.from(rowFor(6, 64))] },
    };
    const answers: unknown[] = [];
    for (const thread of ['main', 'worker']) {
      const rt = await startRuntime(MODELS.tiny, { SESSION_THREAD: thread });
      try {
        expect(rt.config.session.thread).toBe(thread);
        const res = await call(rt.server, 'POST', '/predict', body);
        expect(res.status).toBe(200);
        answers.push(res.body.outputs);
      } finally {
        await rt.close();
      }
    }
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('SESSION_THREAD=auto (the default)', () => {
  it('is the default', () => {
    expect(testConfig(MODELS.tiny).session.thread).toBe('auto');
  });

  /** A clock on which every timed batch takes exactly `batchMs`, however busy the machine. */
  const steppingClock = (batchMs: number): (() => number) => {
    let t = 0;
    return () => (t += batchMs);
  };

  it('times a full batch in the worker and reopens on the JavaScript thread when it is cheap', async () => {
    const cheap = await openPlacedModel(MODELS.tiny, settings, {
      setting: 'auto',
      maxBatchSize: 32,
      now: steppingClock(0.2),
    });
    try {
      expect(cheap.thread).toBe('main');
      expect(cheap.fullBatchMs).toBeCloseTo(0.2);
      // The reopened session answers the golden requests.
      await runGoldenRequests(cheap.model, goldenFor(MODELS.tiny));
    } finally {
      await cheap.model.release();
    }
    const costly = await openPlacedModel(MODELS.tiny, settings, {
      setting: 'auto',
      maxBatchSize: 32,
      now: steppingClock(4),
    });
    try {
      expect(costly.thread).toBe('worker');
      expect(costly.fullBatchMs).toBeCloseTo(4);
      await runGoldenRequests(costly.model, goldenFor(MODELS.tiny));
    } finally {
      await costly.model.release();
    }
  });

  /** A clock on which the timed batches take `durations` in turn (two readings per batch). */
  const scriptedClock = (durations: readonly number[]): (() => number) => {
    let t = 0;
    let reading = 0;
    return () => {
      const index = reading++ >> 1;
      if (reading % 2 === 0) t += durations[index] ?? 0;
      return t;
    };
  };

  it('keeps a cheap model on the JavaScript thread when other work delays most of its timed batches', async () => {
    // A pod starting on a busy node: the worker is descheduled during most timed runs. The
    // runs that were not delayed show what a batch costs; a delayed one only shows the node.
    const placed = await openPlacedModel(MODELS.tiny, settings, {
      setting: 'auto',
      maxBatchSize: 32,
      now: scriptedClock([6, 0.2, 6, 6, 6]),
    });
    try {
      expect(placed.thread).toBe('main');
      expect(placed.fullBatchMs).toBeCloseTo(0.2);
    } finally {
      await placed.model.release();
    }
  });

  it('places a served model by the batch time it measured, and says so', async () => {
    // Which side of 1 ms a real model lands on depends on the machine's load, so the
    // heavy-vs-tiny placement is measured in bench/runtime; here the runtime must apply
    // the rule to its own measurement and serve from the thread it chose.
    for (const path of [MODELS.heavy, MODELS.tiny]) {
      const rt = await startRuntime(path);
      try {
        const model = rt.server.state.requireServing().model;
        expect(model.fullBatchMs, path).toBeGreaterThan(0);
        expect(model.thread, path).toBe(threadForBatchTime(model.fullBatchMs ?? 0));
        await runGoldenRequests(model, goldenFor(path));
      } finally {
        await rt.close();
      }
    }
  });
});
