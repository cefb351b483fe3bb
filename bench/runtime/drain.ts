/**
 * Two latency figures that tests do not bound (docs/benchmarks.md#runtime-lone-requests-and-drain):
 *
 * - lone requests: one request at a time (nothing else arriving), batching on at its
 *   defaults vs off. Eager dispatch promises that a lone request does not wait for the
 *   batching window (BATCH_MAX_DELAY_MS); the figure shows the cost, if any.
 * - drain: N requests in flight when SIGTERM arrives (SHUTDOWN_DELAY_MS=0, so only the
 *   drain is timed): how many are answered, and how long from the signal to the exit.
 *
 *   node --import tsx bench/runtime/drain.ts [--model heavy] [--lone 300] [--inflight 64] [--rounds 3]
 *
 * Runs the compiled runtime (runtime/dist, built first unless --no-build), on loopback only.
 * Prints two tables and writes bench/results/runtime-drain-<date>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRequest, type LoadRequest } from '../lib/correctness.js';
import { machineInfo } from '../lib/machine.js';
import { loadBenchModel, REPO_ROOT, type BenchModel, type ModelKey } from '../lib/models.js';
import { buildRuntime, ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { percentile } from '../lib/percentile.js';
import { freePort, ServerProcess } from '../lib/server-process.js';

const DRAIN_ROWS = 64;

interface LoneRow {
  readonly batching: boolean;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface DrainRow {
  readonly sent: number;
  /** Received and not yet answered when SIGTERM was sent. */
  readonly inflightAtSignal: number;
  readonly answered: number;
  readonly failed: number;
  readonly signalToExitMs: number;
}

async function startRuntime(model: BenchModel, batching: boolean): Promise<ServerProcess> {
  const port = await freePort();
  const logFile = join(tmpdir(), `modeldeploy-bench-drain-${port}.log`);
  return ServerProcess.start(
    ourRuntimeSpec({
      model,
      port,
      batching,
      logFile,
      env: {
        SHUTDOWN_DELAY_MS: '0',
        LOG_LEVEL: process.env.LL ?? 'info',
        SESSION_THREAD: process.env.ST ?? 'auto',
      },
    }),
  );
}

async function post(url: string, request: LoadRequest): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': request.contentType, ...request.headers },
    body: request.body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function lone(model: BenchModel, batching: boolean, count: number): Promise<LoneRow> {
  const server = await startRuntime(model, batching);
  try {
    const url = ourInferUrl(model, Number(new URL(server.spec.readyUrl).port));
    const request = loadRequest('v2', model, 1);
    for (let i = 0; i < 20; i++) await post(url, request);
    const ms: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      if ((await post(url, request)) !== 200)
        throw new Error('a lone request was not answered 200');
      ms.push(performance.now() - started);
    }
    ms.sort((a, b) => a - b);
    return { batching, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
  } finally {
    await server.stop();
  }
}

/** A V2 request of `rows` copies of the golden input's first row. */
function rowsRequest(model: BenchModel, rows: number): LoadRequest {
  const row = model.goldenInput.slice(0, model.width);
  const data = Array.from({ length: rows }, () => row).flat();
  const body = JSON.stringify({
    inputs: [{ name: model.inputName, shape: [rows, model.width], datatype: 'FP32', data }],
  });
  return { body, contentType: 'application/json', headers: {} };
}

interface ServerCounts {
  /** Inference requests received and not yet answered. */
  readonly inflight: number;
  /** Inference requests answered so far. */
  readonly answered: number;
}

async function serverCounts(server: ServerProcess): Promise<ServerCounts> {
  const text = await (await fetch(new URL('/metrics', server.spec.readyUrl))).text();
  const sum = (pattern: RegExp): number =>
    [...text.matchAll(pattern)].reduce((total, m) => total + Number(m[1]), 0);
  return {
    inflight: sum(/^modeldeploy_inflight_requests(?:\{[^}]*\})? (\S+)$/gm),
    answered: sum(
      /^modeldeploy_requests_total\{route="\/v2\/models\/:name\/infer"[^}]*\} (\S+)$/gm,
    ),
  };
}

/**
 * Waits until every one of `count` requests sent after `before` has reached the server
 * (answered or in flight): one still connecting when the listener closes is refused, which
 * SHUTDOWN_DELAY_MS exists for, not the drain. Returns how many were in flight then.
 */
async function untilReceived(
  server: ServerProcess,
  before: ServerCounts,
  count: number,
): Promise<number> {
  for (let i = 0; i < 2000; i++) {
    const now = await serverCounts(server);
    if (now.inflight + now.answered - before.answered >= count) return now.inflight;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`fewer than ${count} requests reached the server`);
}

async function drain(model: BenchModel, inflight: number): Promise<DrainRow> {
  const server = await startRuntime(model, true);
  try {
    return await drainOnce(server, model, inflight);
  } finally {
    // Already stopped unless the round failed before the signal: never leave it running.
    await server.stop();
  }
}

async function drainOnce(
  server: ServerProcess,
  model: BenchModel,
  inflight: number,
): Promise<DrainRow> {
  const url = ourInferUrl(model, Number(new URL(server.spec.readyUrl).port));
  // Requests of DRAIN_ROWS rows: enough work that all of them are still queued or computing
  // when the signal arrives.
  const request = rowsRequest(model, DRAIN_ROWS);
  const warm = await post(url, request);
  if (warm !== 200) throw new Error(`a ${DRAIN_ROWS}-row request was answered ${warm}, not 200`);
  const before = await serverCounts(server);
  const outcomes = Array.from({ length: inflight }, () =>
    post(url, request).then(
      (status) => status === 200,
      () => false,
    ),
  );
  // Signal only once every request has reached the server: a request still connecting when
  // the listener closes is refused, which is SHUTDOWN_DELAY_MS's job, not the drain's.
  const inflightAtSignal = await untilReceived(server, before, inflight);
  const signalled = performance.now();
  await server.stop();
  const signalToExitMs = performance.now() - signalled;
  const ok = await Promise.all(outcomes);
  const answered = ok.filter(Boolean).length;
  return {
    sent: inflight,
    inflightAtSignal,
    answered,
    failed: inflight - answered,
    signalToExitMs,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'heavy' },
      lone: { type: 'string', default: '300' },
      inflight: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '3' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (!values['no-build']) await buildRuntime();
  const model = await loadBenchModel(values.model as ModelKey);
  const loneRows = [
    await lone(model, false, Number(values.lone)),
    await lone(model, true, Number(values.lone)),
  ];
  const drainRows: DrainRow[] = [];
  for (let i = 0; i < Number(values.rounds); i++) {
    drainRows.push(await drain(model, Number(values.inflight)));
  }
  console.log(`lone requests, ${model.name}, one at a time:`);
  console.log('| batching | p50 (ms) | p99 (ms) |\n|---|---|---|');
  for (const r of loneRows) {
    console.log(
      `| ${r.batching ? 'on (defaults)' : 'off'} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} |`,
    );
  }
  console.log(
    `\nSIGTERM with requests of ${DRAIN_ROWS} rows in flight, ${model.name}, SHUTDOWN_DELAY_MS=0:`,
  );
  console.log(
    '| sent | in flight at SIGTERM | answered 200 | failed | signal → exit (ms) |\n|---|---|---|---|---|',
  );
  for (const r of drainRows) {
    console.log(
      `| ${r.sent} | ${r.inflightAtSignal} | ${r.answered} | ${r.failed} | ${r.signalToExitMs.toFixed(0)} |`,
    );
  }
  const results = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const date = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(
    join(results, `runtime-drain-${date}.json`),
    JSON.stringify(
      { date, machine: await machineInfo(), model: model.name, loneRows, drainRows },
      null,
      2,
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
