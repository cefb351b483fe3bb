import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parseModelDeployment,
  type ModelDeployment,
} from '../../operator/src/api/model-deployment.js';
import type { CanaryStatus } from '../../operator/src/api/model-deployment-status.js';
import { queryScalar } from '../../operator/src/rollout/prometheus-client.js';
import type { CanaryObservation, RolloutInput } from '../../operator/src/rollout/rollout-types.js';
import { shadowGateDue } from '../../operator/src/rollout/shadow-gate.js';
import { readShadowGate } from '../../operator/src/rollout/shadow-gate-reading.js';
import { decideRollout } from '../../operator/src/rollout/state.js';
import { measureShadow } from '../../operator/src/shadow/measure-shadow.js';
import { shadowStatus } from '../../operator/src/shadow/shadow-status.js';
import { drive, startRuntime, stopPods, type Pod } from './canary-fleet.js';
import { freePort, startPrometheus, waitFor, type PrometheusServer } from './prometheus-server.js';

/**
 * The shadow gate (spec.canary.shadow) and status.shadow reading real runtime metrics from a
 * real Prometheus: two ModelDeployments in namespace prod, each a real stable runtime
 * serving mlp-tiny that mirrors every answered request to a real shadow runtime, one
 * serving the same model (it agrees) and one serving mlp-tiny-v2 (same signature, other
 * weights: it disagrees). Prometheus scrapes the stable pods every second; the gate's
 * readings go through the operator's own reader into the pure rollout decision. All
 * traffic stays on 127.0.0.1 and is bounded in count and time.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
const GATE_SECONDS = 30;
const MIN_COMPARED = 40;

let prometheus: PrometheusServer | undefined;
const pods: Pod[] = [];
const stables: Pod[] = [];
let traffic: Promise<Record<number, number>[]> | undefined;
let trafficDone = false;
/** When the traffic began: the gate's clock starts here. */
let gateStart = new Date();

function resource(name: string, gate: Record<string, unknown> = {}): ModelDeployment {
  const url = prometheus?.url ?? '';
  const parsed = parseModelDeployment({
    metadata: { name, namespace: 'prod', uid: name, generation: 1 },
    spec: {
      model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
      canary: {
        model: { version: '2', uri: 'file:///models/candidate.onnx' },
        steps: [{ weight: 10, pauseSeconds: 60 }],
        shadow: {
          durationSeconds: GATE_SECONDS,
          minComparedRequests: MIN_COMPARED,
          maxDisagreementRate: 0.05,
          prometheusUrl: url,
          ...gate,
        },
      },
    },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.value;
}

/** A stable runtime of `name` mirroring all its answers to a shadow runtime of `shadowFile`. */
async function pair(name: string, shadowFile: string): Promise<Pod> {
  const shadow = await startRuntime({
    instance: `prod/${name}`,
    model: name,
    version: '2',
    track: 'shadow',
    modelFile: shadowFile,
  });
  pods.push(shadow);
  return stableMirroringTo(name, shadow.url);
}

/** A stable runtime of `name` mirroring every answered request to `shadowUrl`. */
async function stableMirroringTo(name: string, shadowUrl: string): Promise<Pod> {
  const stable = await startRuntime({
    instance: `prod/${name}`,
    model: name,
    version: '1',
    track: 'stable',
    env: {
      SHADOW_TARGET_URL: shadowUrl,
      SHADOW_PERCENT: '100',
      SHADOW_TOLERANCE: '0.0001',
      SHADOW_TIMEOUT_MS: '5000',
    },
  });
  pods.push(stable);
  stables.push(stable);
  return stable;
}

/**
 * A stable runtime of `name` whose shadow address does not route: nothing listens there, as
 * when a shadow pod is Ready before kube-proxy routes its Service.
 */
async function unrouted(name: string): Promise<Pod> {
  return stableMirroringTo(name, `http://127.0.0.1:${await freePort()}`);
}

const READY: CanaryObservation = { replicas: 1, readyReplicas: 1, available: true, version: '2' };

function input(md: ModelDeployment, previous: CanaryStatus | undefined, now: Date): RolloutInput {
  return {
    spec: md.spec,
    previous,
    canary: { replicas: 0, readyReplicas: 0, available: false },
    stable: { version: '1', available: true },
    shadowTrack: READY,
    analysis: undefined,
    now,
  };
}

/** The rollout's status once the gate's clock started at gateStart. */
function gateStarted(md: ModelDeployment): CanaryStatus {
  const first = decideRollout({
    ...input(md, undefined, gateStart),
    shadowTrack: { replicas: 1, readyReplicas: 0, available: false },
  });
  const started = decideRollout(input(md, first.status, gateStart)).status;
  expect(started).toMatchObject({
    phase: 'Shadowing',
    shadowGate: { startedAt: gateStart.toISOString() },
  });
  if (started === undefined) throw new Error('no rollout status');
  return started;
}

/** Waits until Prometheus holds `min` comparisons of `name` since the gate started. */
async function waitForComparisons(name: string, min: number): Promise<void> {
  await waitFor(
    `${min} comparisons of prod/${name} in Prometheus`,
    async () => {
      const window = Math.ceil((Date.now() - gateStart.getTime()) / 1000);
      const query = `sum(increase(modeldeploy_shadow_compared_total{modeldeployment="prod/${name}",track="stable"}[${window}s]))`;
      return ((await queryScalar(prometheus?.url ?? '', query, { timeoutMs: 2000 })) ?? 0) >= min;
    },
    60_000,
  );
}

/** Real time until the gate's duration is over (the rollout's own clock is the argument). */
async function untilGateEnds(): Promise<Date> {
  const end = gateStart.getTime() + GATE_SECONDS * 1000;
  await new Promise((done) => setTimeout(done, Math.max(0, end - Date.now() + 1000)));
  return new Date();
}

beforeAll(async () => {
  await pair('agree', 'examples/models/mlp-tiny.onnx');
  await pair('differ', 'examples/models/mlp-tiny-v2.onnx');
  await unrouted('unrouted');
  prometheus = await startPrometheus({
    targets: stables.map((pod) => `127.0.0.1:${pod.port}`),
    scrapeIntervalSeconds: 1,
  });
  // Every counter scraped at zero first, so increase() counts every comparison.
  await waitFor(
    'Prometheus to scrape the stable pods',
    async () =>
      (await queryScalar(
        prometheus?.url ?? '',
        'count(modeldeploy_shadow_compared_total{track="stable"})',
        { timeoutMs: 2000 },
      )) === stables.length,
    20_000,
  );
  const golden = JSON.parse(
    await readFile(join(repoRoot, 'examples/models/mlp-tiny.golden.json'), 'utf8'),
  ) as { inputs: { data: number[] }[] }[];
  const row = golden[0]?.inputs[0]?.data.slice(0, 64) ?? [];
  const body = JSON.stringify({ inputs: { input: [row] } });
  gateStart = new Date();
  traffic = drive(stables, body, { maxPerPod: 20_000, maxMs: 150_000, done: () => trafficDone });
}, 600_000);

afterAll(async () => {
  trafficDone = true;
  await traffic;
  await Promise.all([stopPods(pods), prometheus?.stop()]);
});

describe('the shadow gate against a real Prometheus and real runtimes', () => {
  it('aborts with ShadowDisagreement once enough answers of a different model were compared', async () => {
    const md = resource('differ');
    const started = gateStarted(md);
    await waitForComparisons('differ', MIN_COMPARED);
    const now = new Date();
    expect(shadowGateDue(input(md, started, now))).toBe(true);
    const reading = await readShadowGate(md, {
      prometheusUrl: prometheus?.url ?? '',
      startedAtMs: gateStart.getTime(),
      now,
      allowed: () => true,
    });
    expect(reading.compared).toBeGreaterThanOrEqual(MIN_COMPARED);
    expect(reading.disagreementRate, reading.message).toBeGreaterThan(0.05);
    const d = decideRollout({ ...input(md, started, now), shadowGate: reading });
    expect(d.status).toMatchObject({ phase: 'Aborted', abortReason: 'ShadowDisagreement' });
    expect(d).toMatchObject({ runCanary: false, canaryWeight: 0, shadowCandidate: false });
    expect(d.events.map((e) => e.reason)).toEqual(['ShadowDisagreement']);
    // The runtime said why: the v2 weights pick another class for the golden row.
    const argmax = await queryScalar(
      prometheus?.url ?? '',
      'sum(modeldeploy_shadow_disagreed_total{modeldeployment="prod/differ",reason="argmax"})',
      { timeoutMs: 2000 },
    );
    expect(argmax).toBeGreaterThan(0);
  });

  it('passes an identical model after the duration, and then the canary pods start', async () => {
    const md = resource('agree');
    const started = gateStarted(md);
    await waitForComparisons('agree', MIN_COMPARED);
    const now = await untilGateEnds();
    const reading = await readShadowGate(md, {
      prometheusUrl: prometheus?.url ?? '',
      startedAtMs: gateStart.getTime(),
      now,
      allowed: () => true,
    });
    expect(reading.compared).toBeGreaterThanOrEqual(MIN_COMPARED);
    expect(reading.disagreementRate, reading.message).toBe(0);
    const d = decideRollout({ ...input(md, started, now), shadowGate: reading });
    expect(d.status?.phase, d.status?.message).toBe('Verifying');
    expect(d).toMatchObject({ runCanary: true, canaryWeight: 0, shadowCandidate: false });
    expect(d.events.map((e) => e.reason)).toEqual(['ShadowGatePassed']);
  });

  it('with fewer comparisons than it needs by the end it waits, Stalled=ShadowInsufficientTraffic', async () => {
    const md = resource('agree', { minComparedRequests: 100_000_000 });
    const started = gateStarted(md);
    const now = await untilGateEnds();
    const reading = await readShadowGate(md, {
      prometheusUrl: prometheus?.url ?? '',
      startedAtMs: gateStart.getTime(),
      now,
      allowed: () => true,
    });
    const d = decideRollout({ ...input(md, started, now), shadowGate: reading });
    expect(d.status?.phase).toBe('Shadowing');
    expect(d.conditions.stalled?.reason).toBe('ShadowInsufficientTraffic');
    expect(d.shadowCandidate).toBe(true);
  });

  it('copies that could not connect to the shadow are neither comparisons nor disagreements, and the reading names them', async () => {
    const md = resource('unrouted');
    const started = gateStarted(md);
    const window = (): number => Math.ceil((Date.now() - gateStart.getTime()) / 1000);
    await waitFor(
      `${MIN_COMPARED} unreachable copies of prod/unrouted in Prometheus`,
      async () =>
        ((await queryScalar(
          prometheus?.url ?? '',
          `sum(increase(modeldeploy_shadow_unreachable_total{modeldeployment="prod/unrouted",track="stable"}[${window()}s]))`,
          { timeoutMs: 2000 },
        )) ?? 0) >= MIN_COMPARED,
      60_000,
    );
    const now = new Date();
    const reading = await readShadowGate(md, {
      prometheusUrl: prometheus?.url ?? '',
      startedAtMs: gateStart.getTime(),
      now,
      allowed: () => true,
    });
    expect(reading.compared, reading.message).toBe(0);
    expect(reading.disagreementRate).toBeUndefined();
    expect(reading.message).toMatch(
      /copies in the last \d+ s could not connect to the shadow Service/,
    );
    const d = decideRollout({ ...input(md, started, now), shadowGate: reading });
    expect(d.status?.phase, d.status?.message).toBe('Shadowing');
  });

  it('status.shadow reports the disagreement rate and the p95 of each shadow', async () => {
    await waitForComparisons('agree', MIN_COMPARED);
    await waitForComparisons('differ', MIN_COMPARED);
    const figures = async (name: string) => {
      const md = parseModelDeployment({
        metadata: { name, namespace: 'prod', uid: name, generation: 1 },
        spec: {
          model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
          shadow: {
            model: { version: '2', uri: 'file:///models/candidate.onnx' },
            prometheusUrl: prometheus?.url ?? '',
            windowSeconds: 60,
          },
        },
      });
      if (!md.ok) throw new Error(md.errors.join('; '));
      const measurement = await measureShadow({
        prometheusUrl: prometheus?.url ?? '',
        series: { namespace: 'prod', name, model: name },
        windowSeconds: 60,
        now: new Date(),
        allowed: () => true,
      });
      return shadowStatus(md.value, undefined, measurement);
    };
    const agree = await figures('agree');
    expect(agree?.compared).toBeGreaterThanOrEqual(MIN_COMPARED);
    expect(agree?.disagreementRate, agree?.message).toBe(0);
    expect(agree?.latencyP95Ms).toBeGreaterThan(0);
    const differ = await figures('differ');
    expect(differ?.disagreementRate, differ?.message).toBeGreaterThan(0.05);
    expect(differ?.latencyP95Ms).toBeGreaterThan(0);
  });

  it('the stable pods answered every request the gate judged', async () => {
    trafficDone = true;
    const [agree, differ, unroutedAnswers] = (await traffic) ?? [];
    expect(Object.keys(agree ?? {}), JSON.stringify(agree)).toEqual(['200']);
    expect(Object.keys(differ ?? {}), JSON.stringify(differ)).toEqual(['200']);
    expect(Object.keys(unroutedAnswers ?? {}), JSON.stringify(unroutedAnswers)).toEqual(['200']);
  });
});
