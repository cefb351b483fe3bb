import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSpec } from '../../operator/src/api/model-deployment-spec.js';
import type { AnalysisResult } from '../../operator/src/api/model-deployment-status.js';
import { analyzeCanary } from '../../operator/src/rollout/canary-analysis.js';
import { queryScalar } from '../../operator/src/rollout/prometheus-client.js';
import {
  drive,
  startRuntime,
  startTestServer,
  stopPods,
  waitForWindow,
  type Pod,
} from './canary-fleet.js';
import { freePort, startPrometheus, waitFor, type PrometheusServer } from './prometheus-server.js';

/**
 * Canary analysis as the operator runs it (analyzeCanary) against a real Prometheus
 * (Debian's package, our own process) scraping real HTTP processes every second: the real
 * runtime serving mlp-tiny as a healthy canary in namespace prod, and canary-test-server.ts
 * processes for a broken canary of the SAME model and version in namespace staging, a
 * candidate answering 400 to everything, and an overloaded one shedding load with 503.
 * All traffic stays on 127.0.0.1 and is bounded in count and time.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
const WINDOW_SECONDS = 10;
const TIMEOUT_MS = 3000;

interface Target {
  namespace: string;
  name: string;
  model: string;
  version: string;
  /** How many different status codes its pod answers. */
  codes: number;
}
const prodScorer: Target = {
  namespace: 'prod',
  name: 'scorer',
  model: 'scorer',
  version: '2.0.0',
  codes: 1,
};
const stagingScorer: Target = { ...prodScorer, namespace: 'staging', codes: 2 };
const newSignature: Target = {
  namespace: 'prod',
  name: 'signature',
  model: 'sig',
  version: '2',
  codes: 1,
};
const overloaded: Target = {
  namespace: 'prod',
  name: 'busy',
  model: 'busy',
  version: '2',
  codes: 2,
};
const instance = (t: Target) => `${t.namespace}/${t.name}`;

let prometheus: PrometheusServer | undefined;
const pods: Pod[] = [];
let traffic: Promise<Record<number, number>[]> | undefined;
let trafficDone = false;

function analyze(target: Target, overrides: Record<string, unknown> = {}): Promise<AnalysisResult> {
  const url = prometheus?.url ?? '';
  return analyzeCanary({
    analysis: analysisSpec.parse({
      intervalSeconds: WINDOW_SECONDS,
      maxErrorRate: 0.05,
      maxLatencyP95Ms: 250,
      prometheusUrl: url,
      ...overrides,
    }),
    ...target,
    now: new Date(),
    allowedPrometheusUrls: [url],
    timeoutMs: TIMEOUT_MS,
    minWindowSeconds: WINDOW_SECONDS,
  });
}

/** Starts the bounded background traffic once; every later test measures under it. */
async function withTraffic(): Promise<void> {
  if (traffic !== undefined) return;
  const golden = JSON.parse(
    await readFile(join(repoRoot, 'examples/models/mlp-tiny.golden.json'), 'utf8'),
  ) as { inputs: { data: number[] }[] }[];
  const row = golden[0]?.inputs[0]?.data.slice(0, 64) ?? [];
  expect(row).toHaveLength(64);
  const body = JSON.stringify({ inputs: { input: [row] } });
  traffic = drive(pods, body, { maxPerPod: 50_000, maxMs: 120_000, done: () => trafficDone });
}

/** The verdict once the window holds data (a few scrapes after traffic starts). */
async function settled(target: Target, overrides: Record<string, unknown> = {}) {
  const url = prometheus?.url ?? '';
  await waitForWindow(
    url,
    { instance: instance(target), track: 'canary' },
    30,
    WINDOW_SECONDS,
    target.codes,
  );
  let result = await analyze(target, overrides);
  await waitFor(
    `a verdict other than Inconclusive for ${instance(target)}`,
    async () => {
      result = await analyze(target, overrides);
      return result.verdict !== 'Inconclusive';
    },
    40_000,
  );
  return result;
}

beforeAll(async () => {
  pods.push(
    await startRuntime({ instance: instance(prodScorer), ...prodScorer, track: 'canary' }),
    await startTestServer({
      instance: instance(stagingScorer),
      ...stagingScorer,
      track: 'canary',
      codes: [200, 500],
    }),
    await startTestServer({
      instance: instance(newSignature),
      ...newSignature,
      track: 'canary',
      codes: [400],
    }),
    await startTestServer({
      instance: instance(overloaded),
      ...overloaded,
      track: 'canary',
      codes: [200, 503],
    }),
  );
  prometheus = await startPrometheus({
    targets: pods.map((pod) => `127.0.0.1:${pod.port}`),
    scrapeIntervalSeconds: 1,
  });
  // Every target scraped at least once, so "no data" below means "no traffic", not "no scrape".
  await waitFor(
    'Prometheus to scrape every target',
    async () =>
      (await queryScalar(prometheus?.url ?? '', 'sum(up{job="canaries"})', { timeoutMs: 2000 })) ===
      pods.length,
    20_000,
  );
}, 600_000);

afterAll(async () => {
  trafficDone = true;
  await traffic;
  await Promise.all([stopPods(pods), prometheus?.stop()]);
});

describe('canary analysis against a real Prometheus', () => {
  it('is Inconclusive before any traffic: no samples is neither a pass nor a fail', async () => {
    for (const target of [prodScorer, stagingScorer]) {
      const result = await analyze(target);
      expect(result.verdict, result.message).toBe('Inconclusive');
      expect(result.message).toMatch(/^no samples yet \(no traffic\?\)/);
    }
  });

  it('two namespaces serving the same model name and version each judge only their own canary', async () => {
    await withTraffic();
    const prod = await settled(prodScorer);
    const staging = await settled(stagingScorer);
    expect(prod.verdict, prod.message).toBe('Pass');
    expect(prod.errorRate).toBe(0);
    expect(prod.latencyP95Ms).toBeLessThan(250);
    expect(staging.verdict, staging.message).toBe('Fail');
    expect(staging.errorRate).toBeGreaterThan(0.3);
    expect(staging.message).toMatch(/^error rate \d+\.\d\d% > max 5\.00%/);
  });

  it('a candidate answering 400 to every request (changed input signature) fails; counting only 5xx would pass it', async () => {
    await withTraffic();
    const result = await settled(newSignature);
    expect(result.verdict, result.message).toBe('Fail');
    expect(result.errorRate).toBe(1);
    const only5xx = await settled(newSignature, { errorStatusCodes: ['5xx'] });
    expect(only5xx.verdict, only5xx.message).toBe('Pass');
  });

  it('overload answers (503 with Retry-After) are left out by default, and count when not ignored', async () => {
    await withTraffic();
    const result = await settled(overloaded);
    expect(result.verdict, result.message).toBe('Pass');
    expect(result.errorRate).toBe(0);
    const counted = await settled(overloaded, { ignoredStatusCodes: [] });
    expect(counted.verdict, counted.message).toBe('Fail');
    expect(counted.errorRate).toBeGreaterThan(0.3);
  });

  it('the pods answered what the verdicts say', async () => {
    await withTraffic();
    trafficDone = true;
    const [prod, staging, signature, busy] = (await traffic) ?? [];
    expect(prod?.[200], JSON.stringify(prod)).toBeGreaterThan(20);
    expect(staging?.[500], JSON.stringify(staging)).toBeGreaterThan(10);
    expect(signature?.[400], JSON.stringify(signature)).toBeGreaterThan(10);
    expect(busy?.[503], JSON.stringify(busy)).toBeGreaterThan(10);
  });

  it('reports what failed when Prometheus rejects a query or cannot be reached', async () => {
    const url = prometheus?.url ?? '';
    const options = { timeoutMs: TIMEOUT_MS };
    await expect(queryScalar(url, 'sum(rate(', options)).rejects.toThrow(
      /answered HTTP 400: the query was rejected \(bad_data; Prometheus' message is in the operator's debug log\)/,
    );
    await expect(queryScalar(url, 'up', options)).rejects.toThrow(
      /returned 4 series where one value was expected; aggregate/,
    );
    expect(await queryScalar(url, 'vector(1) / vector(0)', options)).toBe(Infinity);
    expect(await queryScalar(url, 'vector(0) / vector(0)', options)).toBeUndefined();
    expect(await queryScalar(url, 'scalar(vector(2.5))', options)).toBe(2.5);

    const closed = `http://127.0.0.1:${await freePort()}`;
    await expect(queryScalar(closed, 'up', options)).rejects.toThrow(
      /is unreachable \(.*\); check spec\.canary\.analysis\.prometheusUrl/,
    );
    const down = await analyzeCanary({
      analysis: analysisSpec.parse({ prometheusUrl: closed }),
      ...prodScorer,
      now: new Date(),
      allowedPrometheusUrls: [closed],
    });
    expect(down.verdict).toBe('Inconclusive');
    expect(down.message).toMatch(/^analysis query failed: Prometheus at .* is unreachable/);
  });
});
