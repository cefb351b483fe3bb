import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSpec } from '../../operator/src/api/model-deployment-spec.js';
import type { AnalysisResult } from '../../operator/src/api/model-deployment-status.js';
import { NO_STABLE_SAMPLES } from '../../operator/src/rollout/analysis-judge.js';
import { analyzeCanary } from '../../operator/src/rollout/canary-analysis.js';
import { queryScalar } from '../../operator/src/rollout/prometheus-client.js';
import { drive, startTestServer, stopPods, waitForWindow, type Pod } from './canary-fleet.js';
import { startPrometheus, waitFor, type PrometheusServer } from './prometheus-server.js';

/**
 * Analysis relative to the stable track, against a real Prometheus: the stable and canary
 * pods of one ModelDeployment answer the same share of 400s (clients sending bad input to
 * both), the canary three times slower. Absolute limits would fail it on the client errors;
 * the relative ones judge what the candidate changed. A second ModelDeployment has a canary
 * and no stable series at all.
 */

const WINDOW_SECONDS = 10;
const ranker = { namespace: 'prod', name: 'ranker', model: 'ranker' };
const lonely = { namespace: 'prod', name: 'lonely', model: 'lonely', version: '2' };
// Nine answers in ten are 200, one is 400, on both tracks.
const TENTH_BAD = [200, 200, 200, 200, 200, 200, 200, 200, 200, 400];

let prometheus: PrometheusServer | undefined;
const pods: Pod[] = [];
let traffic: Promise<unknown> | undefined;
let trafficDone = false;

function analyze(
  target: { namespace: string; name: string; model: string; version: string },
  limits: Record<string, unknown>,
): Promise<AnalysisResult> {
  const url = prometheus?.url ?? '';
  return analyzeCanary({
    analysis: analysisSpec.parse({
      intervalSeconds: WINDOW_SECONDS,
      prometheusUrl: url,
      ...limits,
    }),
    ...target,
    now: new Date(),
    allowedPrometheusUrls: [url],
    timeoutMs: 3000,
    minWindowSeconds: WINDOW_SECONDS,
  });
}

async function settled(limits: Record<string, unknown>): Promise<AnalysisResult> {
  let result = await analyze({ ...ranker, version: '2' }, limits);
  await waitFor(
    'a verdict other than Inconclusive',
    async () => {
      result = await analyze({ ...ranker, version: '2' }, limits);
      return result.verdict !== 'Inconclusive';
    },
    40_000,
  );
  return result;
}

beforeAll(async () => {
  const instance = `${ranker.namespace}/${ranker.name}`;
  pods.push(
    await startTestServer({
      instance,
      model: ranker.model,
      version: '1',
      track: 'stable',
      codes: TENTH_BAD,
      delayMs: 30,
    }),
    await startTestServer({
      instance,
      model: ranker.model,
      version: '2',
      track: 'canary',
      codes: TENTH_BAD,
      delayMs: 90,
    }),
    await startTestServer({ instance: 'prod/lonely', ...lonely, track: 'canary', codes: [200] }),
  );
  prometheus = await startPrometheus({ targets: pods.map((p) => `127.0.0.1:${p.port}`) });
  await waitFor(
    'Prometheus to scrape every target',
    async () =>
      (await queryScalar(prometheus?.url ?? '', 'sum(up{job="canaries"})', { timeoutMs: 2000 })) ===
      pods.length,
    20_000,
  );
  traffic = drive(pods, '{}', { maxPerPod: 5000, maxMs: 120_000, done: () => trafficDone });
  // Judged only once the window holds steady traffic of both tracks, not the ramp-up.
  for (const track of ['stable', 'canary'] as const) {
    await waitForWindow(prometheus.url, { instance, track }, 60, WINDOW_SECONDS);
  }
}, 600_000);

afterAll(async () => {
  trafficDone = true;
  await traffic;
  await Promise.all([stopPods(pods), prometheus?.stop()]);
});

describe('analysis relative to the stable track', () => {
  it('fails a canary slower than k × the stable p95 measured in the same window', async () => {
    const result = await settled({ maxErrorRate: 1, maxLatencyRatio: 1.5 });
    expect(result.verdict, result.message).toBe('Fail');
    expect(result.message).toMatch(/^p95 latency [\d.]+ ms > 1\.5 × stable [\d.]+ ms$/);
  });

  it('passes it within a looser ratio and an error rate no higher than stable + delta', async () => {
    const result = await settled({
      maxErrorRate: 1,
      maxErrorRateIncrease: 0.05,
      maxLatencyRatio: 5,
    });
    expect(result.verdict, result.message).toBe('Pass');
    expect(result.message).toMatch(/error rate [\d.]+% ≤ stable [\d.]+% \+ 5\.00%/);
    expect(result.errorRate).toBeGreaterThan(0.05);
  });

  it('an absolute error limit fails the same canary for the clients’ 400s that stable answers too', async () => {
    const result = await settled({ maxErrorRate: 0.05 });
    expect(result.verdict, result.message).toBe('Fail');
  });

  it('is Inconclusive, saying so, when the ModelDeployment has no stable series to compare with', async () => {
    let result = await analyze(lonely, { maxErrorRate: 1, maxLatencyRatio: 2 });
    await waitFor(
      'the lonely canary to have samples',
      async () => {
        result = await analyze(lonely, { maxErrorRate: 1 });
        return result.verdict === 'Pass';
      },
      40_000,
    );
    result = await analyze(lonely, { maxErrorRate: 1, maxLatencyRatio: 2 });
    expect(result.verdict, result.message).toBe('Inconclusive');
    expect(result.message).toBe(`${NO_STABLE_SAMPLES}: stable p95 latency had no data`);
  });
});
