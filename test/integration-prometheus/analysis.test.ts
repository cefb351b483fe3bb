import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryQueries, judge } from '../../operator/src/rollout/analysis-queries.js';
import { analyzeCanary } from '../../operator/src/rollout/canary-analysis.js';
import { queryScalar } from '../../operator/src/rollout/prometheus-client.js';
import {
  freePort,
  startPrometheus,
  stopChild,
  waitFor,
  type PrometheusServer,
} from './prometheus-server.js';
import { startLoopbackProcess, type LoopbackProcess } from './loopback-process.js';

/**
 * Canary analysis against a real Prometheus (Debian's package, our own process) scraping
 * two real HTTP processes every second: the real runtime serving mlp-tiny as a healthy
 * canary, and a small prom-client server that fails half its requests. All traffic stays
 * on 127.0.0.1 and is bounded in count and time.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
const limits = { maxErrorRate: 0.05, maxLatencyP95Ms: 250 };
const WINDOW_SECONDS = 10;
const TIMEOUT_MS = 3000;

const healthy = { model: 'mlp-tiny', version: '2.0.0' };
const failing = { model: 'bad-model', version: '3.0.0' };

let prometheus: PrometheusServer | undefined;
let runtime: LoopbackProcess | undefined;
let badServer: LoopbackProcess | undefined;
let runtimeUrl = '';
let badUrl = '';
/**
 * Verdicts taken in beforeAll, before any test sends traffic: the "no traffic" test reads
 * these, so it holds whichever test runs first (or alone).
 */
let beforeTraffic: { healthy: Verdict; failing: Verdict } | undefined;
type Verdict = Awaited<ReturnType<typeof measure>>;

async function measure(target: { model: string; version: string }) {
  const url = prometheus?.url ?? '';
  const q = canaryQueries({ canary: undefined }, target.model, target.version, WINDOW_SECONDS);
  const [errorRate, latencyP95Seconds] = await Promise.all([
    queryScalar(url, q.errorRate, TIMEOUT_MS),
    queryScalar(url, q.latencyP95, TIMEOUT_MS),
  ]);
  return judge({ errorRate, latencyP95Seconds }, limits, new Date());
}

/** Sends `count` requests with `concurrency` workers, stopping early after `maxMs`. */
async function drive(
  url: string,
  body: string,
  count: number,
  concurrency: number,
  maxMs: number,
  done: () => boolean = () => false,
) {
  const deadline = Date.now() + maxMs;
  let sent = 0;
  const codes: Record<number, number> = {};
  const worker = async () => {
    while (sent < count && Date.now() < deadline && !done()) {
      sent += 1;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      codes[response.status] = (codes[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return codes;
}

beforeAll(async () => {
  // Each process binds the port it is given; when another process took it first, it is
  // started again on another port (a picked port is only free until it is released).
  runtime = await startLoopbackProcess({
    what: 'runtime',
    args: (port) => [
      '--import',
      'tsx',
      'runtime/src/main.ts',
      '--model',
      'examples/models/mlp-tiny.onnx',
      '--port',
      String(port),
    ],
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      MODEL_NAME: healthy.model,
      MODEL_VERSION: healthy.version,
      MODEL_TRACK: 'canary',
      LOG_LEVEL: 'warn',
    },
    readyPath: '/ready',
  });
  badServer = await startLoopbackProcess({
    what: 'failing canary server',
    args: (port) => [
      '--import',
      'tsx',
      join(import.meta.dirname, 'failing-canary-server.ts'),
      String(port),
      failing.model,
      failing.version,
    ],
    cwd: repoRoot,
    readyPath: '/metrics',
  });
  runtimeUrl = runtime.url;
  badUrl = badServer.url;

  prometheus = await startPrometheus({
    targets: [`127.0.0.1:${runtime.port}`, `127.0.0.1:${badServer.port}`],
    scrapeIntervalSeconds: 1,
  });
  // Both targets scraped at least once, so "no data" below means "no traffic", not "no scrape".
  await waitFor(
    'Prometheus to scrape both targets',
    async () => (await queryScalar(prometheus?.url ?? '', 'sum(up{job="canaries"})', 2000)) === 2,
    20_000,
  );
  beforeTraffic = { healthy: await measure(healthy), failing: await measure(failing) };
}, 600_000);

afterAll(async () => {
  await Promise.all([stopChild(runtime?.child), stopChild(badServer?.child), prometheus?.stop()]);
});

describe('canary analysis against a real Prometheus', () => {
  it('is Inconclusive before any traffic: no samples is neither a pass nor a fail', async () => {
    for (const result of [beforeTraffic?.healthy, beforeTraffic?.failing]) {
      if (result === undefined) throw new Error('beforeAll took no verdicts before traffic');
      expect(result.verdict, result.message).toBe('Inconclusive');
      expect(result.message).toMatch(/^no samples yet \(no traffic\?\)/);
    }
  });

  it('passes the healthy runtime and fails the one answering 500s', async () => {
    const golden = JSON.parse(
      await readFile(join(repoRoot, 'examples/models/mlp-tiny.golden.json'), 'utf8'),
    ) as { inputs: { data: number[] }[] }[];
    const row = golden[0]?.inputs[0]?.data.slice(0, 64) ?? [];
    expect(row).toHaveLength(64);
    const body = JSON.stringify({ inputs: { input: [row] } });

    // Traffic keeps flowing while we wait for the verdicts, so a slow scrape on a busy
    // machine cannot leave the 10 s window empty (bounded: stops with the verdicts, or after 40 s).
    let verdictsIn = false;
    const stop = () => verdictsIn;
    const driving = Promise.all([
      drive(`${runtimeUrl}/predict`, body, 100_000, 2, 40_000, stop),
      drive(`${badUrl}/predict`, body, 100_000, 2, 40_000, stop),
    ]);

    // A few scrapes later both verdicts are in; until then the window may be half empty.
    let healthyResult = await measure(healthy);
    let failingResult = await measure(failing);
    await waitFor(
      'analysis verdicts other than Inconclusive',
      async () => {
        healthyResult = await measure(healthy);
        failingResult = await measure(failing);
        return healthyResult.verdict !== 'Inconclusive' && failingResult.verdict !== 'Inconclusive';
      },
      40_000,
    ).finally(() => (verdictsIn = true));
    const [good, bad] = await driving;
    expect(good[200], JSON.stringify(good)).toBeGreaterThan(50);
    expect(bad[500], JSON.stringify(bad)).toBeGreaterThan(25);
    expect(healthyResult.verdict, healthyResult.message).toBe('Pass');
    expect(healthyResult.errorRate).toBe(0);
    expect(healthyResult.latencyP95Ms).toBeLessThan(250);
    expect(failingResult.verdict, failingResult.message).toBe('Fail');
    expect(failingResult.errorRate).toBeGreaterThan(0.3);
    expect(failingResult.message).toMatch(/^error rate \d+\.\d\d% > max 5\.00%/);

    // The controller's one-call helper reaches the same verdict.
    const viaHelper = await analyzeCanary({
      analysis: {
        intervalSeconds: WINDOW_SECONDS,
        failureLimit: 2,
        inconclusiveLimit: 10,
        prometheusUrl: prometheus?.url ?? '',
        ...limits,
      },
      ...failing,
      now: new Date(),
      minWindowSeconds: WINDOW_SECONDS,
    });
    expect(viaHelper.verdict, viaHelper.message).toBe('Fail');
  });

  it('reports what failed when Prometheus rejects a query or cannot be reached', async () => {
    const url = prometheus?.url ?? '';
    await expect(queryScalar(url, 'sum(rate(', TIMEOUT_MS)).rejects.toThrow(
      /rejected the query with HTTP 400 \(bad_data: .*\); query was: sum\(rate\(/,
    );
    await expect(queryScalar(url, 'up', TIMEOUT_MS)).rejects.toThrow(
      /returned 2 series where one value was expected; aggregate/,
    );
    expect(await queryScalar(url, 'vector(1) / vector(0)', TIMEOUT_MS)).toBe(Infinity);
    expect(await queryScalar(url, 'vector(0) / vector(0)', TIMEOUT_MS)).toBeUndefined();
    expect(await queryScalar(url, 'scalar(vector(2.5))', TIMEOUT_MS)).toBe(2.5);

    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(queryScalar(closed, 'up', TIMEOUT_MS)).rejects.toThrow(
      /is unreachable \(.*\); check spec\.canary\.analysis\.prometheusUrl/,
    );
    const down = await analyzeCanary({
      analysis: {
        intervalSeconds: 30,
        maxErrorRate: 0.01,
        failureLimit: 2,
        inconclusiveLimit: 10,
        prometheusUrl: closed,
      },
      ...healthy,
      now: new Date(),
    });
    expect(down.verdict).toBe('Inconclusive');
    expect(down.message).toMatch(/^analysis query failed: Prometheus at .* is unreachable/);
  });
});
