import { describe, expect, it } from 'vitest';
import {
  modelDeploymentSpec,
  type ModelDeploymentSpec,
  type ModelDeploymentSpecInput,
} from '../api/model-deployment-spec.js';
import type { CanaryStatus } from '../api/model-deployment-status.js';
import { shadowGateSpec } from '../api/shadow-gate-spec.js';
import type {
  CanaryObservation,
  RolloutDecision,
  RolloutInput,
  ShadowGateReading,
} from './rollout-types.js';
import { judgeShadowGate, SHADOW_GATE_INTERVAL_MS, shadowGateDue } from './shadow-gate.js';
import { decideRollout } from './state.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
type GateInput = NonNullable<NonNullable<ModelDeploymentSpecInput['canary']>['shadow']>;

function makeSpec(gate: GateInput = {}, canary: Record<string, unknown> = {}): ModelDeploymentSpec {
  return modelDeploymentSpec.parse({
    model: { version: 'v1', uri: 'https://models.example/v1.onnx' },
    replicas: 4,
    canary: {
      model: { version: 'v2', uri: 'https://models.example/v2.onnx' },
      steps: [
        { weight: 10, pauseSeconds: 60 },
        { weight: 50, pauseSeconds: 60 },
      ],
      shadow: {
        durationSeconds: 300,
        minComparedRequests: 100,
        maxDisagreementRate: 0.02,
        prometheusUrl: 'http://prometheus:9090',
        ...gate,
      },
      ...canary,
    },
  });
}

const SHADOW_READY: CanaryObservation = {
  replicas: 1,
  readyReplicas: 1,
  available: true,
  version: 'v2',
};
const SHADOW_STARTING: CanaryObservation = { replicas: 1, readyReplicas: 0, available: false };
const NO_CANARY_PODS: CanaryObservation = { replicas: 0, readyReplicas: 0, available: false };

function input(
  spec: ModelDeploymentSpec,
  previous: CanaryStatus | undefined,
  now: Date,
  more: Partial<RolloutInput> = {},
): RolloutInput {
  return {
    spec,
    previous,
    canary: NO_CANARY_PODS,
    stable: { version: 'v1', available: true },
    shadowTrack: SHADOW_READY,
    analysis: undefined,
    now,
    ...more,
  };
}

const reading = (seconds: number, compared: number, rate?: number): ShadowGateReading => ({
  measuredAt: at(seconds).toISOString(),
  compared,
  ...(rate !== undefined ? { disagreementRate: rate } : {}),
});

/** Runs the rollout from nothing to a started gate (the candidate ready as a shadow at 20 s). */
function startedGate(spec: ModelDeploymentSpec): CanaryStatus {
  const first = decideRollout(input(spec, undefined, at(0), { shadowTrack: SHADOW_STARTING }));
  const started = decideRollout(input(spec, first.status, at(20)));
  if (started.status === undefined) throw new Error('no status');
  return started.status;
}

const reasons = (d: RolloutDecision): string[] => d.events.map((e) => e.reason);

describe('judgeShadowGate', () => {
  const gate = shadowGateSpec.parse({
    durationSeconds: 300,
    minComparedRequests: 100,
    maxDisagreementRate: 0.02,
  });
  const start = T0.getTime();

  it('keeps comparing before the end, looking again after one interval or at the end', () => {
    expect(judgeShadowGate(gate, start, undefined, start + 10_000)).toEqual({
      kind: 'comparing',
      waitMs: 0,
    });
    expect(judgeShadowGate(gate, start, reading(10, 40, 0), start + 10_000)).toEqual({
      kind: 'comparing',
      waitMs: SHADOW_GATE_INTERVAL_MS,
    });
    expect(judgeShadowGate(gate, start, reading(290, 40, 0), start + 290_000)).toEqual({
      kind: 'comparing',
      waitMs: 10_000,
    });
  });

  it('calls disagreement as soon as enough requests were compared, not before', () => {
    expect(judgeShadowGate(gate, start, reading(60, 99, 0.5), start + 60_000).kind).toBe(
      'comparing',
    );
    expect(judgeShadowGate(gate, start, reading(60, 100, 0.5), start + 60_000)).toMatchObject({
      kind: 'disagreed',
      rate: 0.5,
    });
    expect(judgeShadowGate(gate, start, reading(300, 500, 0.02), start + 300_000).kind).toBe(
      'passed',
    );
    expect(judgeShadowGate(gate, start, reading(300, 500, 0.0201), start + 300_000).kind).toBe(
      'disagreed',
    );
  });

  it('passes only on a reading taken at or after the end of the duration', () => {
    expect(judgeShadowGate(gate, start, reading(290, 500, 0), start + 300_000)).toEqual({
      kind: 'comparing',
      waitMs: 0,
    });
    expect(judgeShadowGate(gate, start, reading(300, 500, 0), start + 300_000).kind).toBe('passed');
  });

  it('with too few comparisons by the end it says so and keeps counting', () => {
    expect(judgeShadowGate(gate, start, reading(300, 12, 0), start + 300_000)).toMatchObject({
      kind: 'insufficient',
      waitMs: SHADOW_GATE_INTERVAL_MS,
    });
    expect(judgeShadowGate(gate, start, reading(300, 0), start + 300_000).kind).toBe(
      'insufficient',
    );
  });

  it('an unreadable Prometheus neither passes nor counts as too little traffic', () => {
    const failed: ShadowGateReading = {
      measuredAt: at(300).toISOString(),
      message: 'shadow measurement failed: connect ECONNREFUSED',
    };
    expect(judgeShadowGate(gate, start, failed, start + 310_000)).toEqual({
      kind: 'comparing',
      waitMs: 20_000,
    });
  });
});

describe('decideRollout: the shadow gate', () => {
  const spec = makeSpec();

  it('a new canary with a gate starts Shadowing: the candidate on the shadow track, no canary pods, no traffic', () => {
    const d = decideRollout(input(spec, undefined, at(0), { shadowTrack: SHADOW_STARTING }));
    expect(d.status).toMatchObject({ phase: 'Shadowing', weight: 0, version: 'v2' });
    expect(d.status?.shadowGate).toBeUndefined();
    expect(d).toMatchObject({
      shadowCandidate: true,
      runCanary: false,
      canaryWeight: 0,
      canaryReplicas: 0,
    });
    expect(d.conditions.progressing?.reason).toBe('CanaryShadowing');
    expect(reasons(d)).toEqual(['RolloutStarted']);
  });

  it('starts the clock once the candidate is ready as a shadow and the stable track is available', () => {
    const first = decideRollout(input(spec, undefined, at(0), { shadowTrack: SHADOW_STARTING }));
    const waiting = decideRollout(
      input(spec, first.status, at(10), { shadowTrack: SHADOW_STARTING }),
    );
    expect(waiting.status?.shadowGate).toBeUndefined();
    expect(waiting.events).toEqual([]);
    const stableRolling = decideRollout(
      input(spec, first.status, at(15), { stable: { version: undefined, available: false } }),
    );
    expect(stableRolling.status?.shadowGate).toBeUndefined();
    const started = decideRollout(input(spec, first.status, at(20)));
    expect(started.status?.shadowGate).toEqual({ startedAt: at(20).toISOString() });
    expect(reasons(started)).toEqual(['ShadowGateStarted']);
    expect(started.shadowCandidate).toBe(true);
    expect(started.requeueAfterMs).toBe(SHADOW_GATE_INTERVAL_MS);
  });

  it('shadow pods that never get ready stall the rollout at the progress deadline', () => {
    const first = decideRollout(input(spec, undefined, at(0), { shadowTrack: SHADOW_STARTING }));
    const late = decideRollout(
      input(spec, first.status, at(601), { shadowTrack: SHADOW_STARTING }),
    );
    expect(late.conditions.stalled?.reason).toBe('ProgressDeadlineExceeded');
    expect(late.status?.phase).toBe('Shadowing');
    expect(reasons(late)).toEqual(['ProgressDeadlineExceeded']);
  });

  it('reads the comparisons once per interval and once more at the end of the duration', () => {
    const started = startedGate(spec);
    const due = (s: number, previous: CanaryStatus = started): boolean =>
      shadowGateDue(input(spec, previous, at(s)));
    expect(due(20)).toBe(true);
    const read = decideRollout(input(spec, started, at(20), { shadowGate: reading(20, 0) }));
    expect(read.status?.shadowGate?.measuredAt).toBe(at(20).toISOString());
    expect(due(49, read.status)).toBe(false);
    expect(due(50, read.status)).toBe(true);
    const late = decideRollout(input(spec, started, at(310), { shadowGate: reading(310, 9) }));
    // 20 s + 300 s = 320 s: the reading at 310 s is before the end, so 320 s reads again.
    expect(due(319, late.status)).toBe(false);
    expect(due(320, late.status)).toBe(true);
    expect(late.requeueAfterMs).toBe(10_000);
  });

  it('passes after the duration with enough agreeing comparisons: canary pods start, still no traffic', () => {
    const started = startedGate(spec);
    const mid = decideRollout(input(spec, started, at(200), { shadowGate: reading(200, 80, 0) }));
    expect(mid.status?.phase).toBe('Shadowing');
    expect(mid.events).toEqual([]);
    const d = decideRollout(
      input(spec, mid.status, at(320), { shadowGate: reading(320, 400, 0.01) }),
    );
    expect(d.status).toMatchObject({
      phase: 'Verifying',
      weight: 0,
      shadowGate: {
        startedAt: at(20).toISOString(),
        measuredAt: at(320).toISOString(),
        compared: 400,
        disagreementRate: 0.01,
      },
    });
    expect(d).toMatchObject({ shadowCandidate: false, runCanary: true, canaryWeight: 0 });
    expect(reasons(d)).toEqual(['ShadowGatePassed']);
    // From here the rollout is the usual one: ready canary pods enter the first step.
    const ready = { replicas: 1, readyReplicas: 1, available: true };
    const step = decideRollout(input(spec, d.status, at(330), { canary: ready }));
    expect(step.status).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(step.canaryWeight).toBe(10);
    expect(step.status?.shadowGate?.compared).toBe(400);
  });

  it('aborts with ShadowDisagreement the same way analysis failures abort: all traffic on stable', () => {
    const started = startedGate(spec);
    const d = decideRollout(input(spec, started, at(120), { shadowGate: reading(120, 150, 0.3) }));
    expect(d.status).toMatchObject({
      phase: 'Aborted',
      abortReason: 'ShadowDisagreement',
      weight: 0,
      shadowGate: { compared: 150, disagreementRate: 0.3 },
    });
    expect(d.status?.message).toMatch(/^ShadowDisagreement: 30\.00% of 150 compared requests/);
    expect(d).toMatchObject({ shadowCandidate: false, runCanary: false, canaryWeight: 0 });
    expect(d.stableModel.version).toBe('v1');
    expect(d.conditions.degraded?.reason).toBe('ShadowDisagreement');
    expect(d.conditions.stalled?.reason).toBe('ShadowDisagreement');
    expect(d.events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'ShadowDisagreement' }),
    ]);
    // It stays aborted, quietly, until the candidate changes.
    const again = decideRollout(input(spec, d.status, at(150)));
    expect(again.status).toEqual(d.status);
    expect(again.events).toEqual([]);
  });

  it('too few comparisons by the end: waits with Stalled=ShadowInsufficientTraffic, warns once, passes once traffic comes', () => {
    const started = startedGate(spec);
    const short = decideRollout(input(spec, started, at(320), { shadowGate: reading(320, 30, 0) }));
    expect(short.status?.phase).toBe('Shadowing');
    expect(short.shadowCandidate).toBe(true);
    expect(short.conditions.stalled?.reason).toBe('ShadowInsufficientTraffic');
    expect(short.status?.message).toContain('only 30 of 100 requests compared after 300s');
    expect(reasons(short)).toEqual(['ShadowInsufficientTraffic']);
    const still = decideRollout(
      input(spec, short.status, at(350), { shadowGate: reading(350, 30, 0) }),
    );
    expect(still.events).toEqual([]);
    expect(still.status?.message).toBe(short.status?.message);
    expect(still.conditions.stalled?.reason).toBe('ShadowInsufficientTraffic');
    const enough = decideRollout(
      input(spec, still.status, at(380), { shadowGate: reading(380, 130, 0) }),
    );
    expect(enough.status?.phase).toBe('Verifying');
  });

  it('names copies that never reached the shadow when too few were compared', () => {
    const started = startedGate(spec);
    const unreachable =
      '40 copies in the last 320 s could not connect to the shadow Service and were not compared; check that the -shadow pods are Ready and the Service has endpoints';
    const d = decideRollout(
      input(spec, started, at(320), {
        shadowGate: { ...reading(320, 30, 0), message: unreachable },
      }),
    );
    expect(d.conditions.stalled?.reason).toBe('ShadowInsufficientTraffic');
    expect(d.status?.message).toContain(
      `only 30 of 100 requests compared after 300s (${unreachable})`,
    );
  });

  it('a Prometheus outside the allow-list holds the gate with Stalled=PrometheusUrlNotAllowed and is not read', () => {
    const started = startedGate(spec);
    const refused = 'not allowed';
    expect(shadowGateDue(input(spec, started, at(400), { shadowGateRefused: refused }))).toBe(
      false,
    );
    const d = decideRollout(input(spec, started, at(400), { shadowGateRefused: refused }));
    expect(d.status?.phase).toBe('Shadowing');
    expect(d.conditions.stalled).toEqual({ reason: 'PrometheusUrlNotAllowed', message: refused });
  });

  it('crashing shadow pods of the candidate abort with CanaryFailed', () => {
    const first = decideRollout(input(spec, undefined, at(0), { shadowTrack: SHADOW_STARTING }));
    const d = decideRollout(
      input(spec, first.status, at(30), {
        shadowTrack: { ...SHADOW_STARTING, crashLoop: 'pod scorer-shadow-x is crash-looping' },
      }),
    );
    expect(d.status).toMatchObject({ phase: 'Aborted', abortReason: 'CanaryFailed' });
    expect(d.shadowCandidate).toBe(false);
  });

  it('promote skips the gate; abort ends it; removing the gate moves on to verification', () => {
    const started = startedGate(spec);
    const promoted = decideRollout(input(makeSpec({}, { promote: true }), started, at(40)));
    expect(promoted.status?.phase).toBe('Promoting');
    expect(promoted.shadowCandidate).toBe(false);
    const aborted = decideRollout(input(makeSpec({}, { abort: true }), started, at(40)));
    expect(aborted.status).toMatchObject({ phase: 'Aborted', abortReason: 'AbortedByUser' });
    const { shadow: _gate, ...noGate } = spec.canary ?? { shadow: undefined };
    const withoutGate = { ...spec, canary: noGate } as ModelDeploymentSpec;
    const skipped = decideRollout(input(withoutGate, started, at(40)));
    expect(skipped.status?.phase).toBe('Verifying');
    expect(reasons(skipped)).toEqual(['ShadowGateSkipped']);
  });

  it('re-deciding with nothing new writes nothing: no clock in the message', () => {
    const started = startedGate(spec);
    const a = decideRollout(input(spec, started, at(100), { shadowGate: reading(100, 50, 0) }));
    const b = decideRollout(input(spec, a.status, at(110)));
    expect(b.status).toEqual(a.status);
    expect(b.events).toEqual([]);
  });

  it('without a gate a canary starts Verifying as before', () => {
    const plain = modelDeploymentSpec.parse({
      model: { version: 'v1', uri: 'https://models.example/v1.onnx' },
      canary: { model: { version: 'v2', uri: 'https://models.example/v2.onnx' } },
    });
    const d = decideRollout(input(plain, undefined, at(0)));
    expect(d.status?.phase).toBe('Verifying');
    expect(d.shadowCandidate).toBe(false);
  });
});

describe('spec.canary.shadow validation', () => {
  const base = {
    model: { version: 'v1', uri: 'https://models.example/v1.onnx' },
    canary: { model: { version: 'v2', uri: 'https://models.example/v2.onnx' }, shadow: {} },
  };

  it('needs a Prometheus, its own or the analysis one', () => {
    const none = modelDeploymentSpec.safeParse(base);
    expect(none.success).toBe(false);
    expect(none.error?.issues[0]?.message).toMatch(/canary\.shadow needs a Prometheus/);
    const viaAnalysis = modelDeploymentSpec.safeParse({
      ...base,
      canary: { ...base.canary, analysis: { prometheusUrl: 'http://prom:9090' } },
    });
    expect(viaAnalysis.success).toBe(true);
  });

  it('refuses spec.shadow beside it: the gate runs the candidate on the shadow track', () => {
    const both = modelDeploymentSpec.safeParse({
      ...base,
      canary: { ...base.canary, shadow: { prometheusUrl: 'http://prom:9090' } },
      shadow: { model: { version: 'v3', uri: 'https://models.example/v3.onnx' } },
    });
    expect(both.success).toBe(false);
    expect(both.error?.issues[0]?.message).toMatch(/set at most one of shadow and canary\.shadow/);
  });
});
