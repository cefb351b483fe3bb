import { describe, expect, it } from 'vitest';
import {
  modelDeploymentSpec,
  type ModelDeploymentSpec,
  type ModelDeploymentSpecInput,
} from '../api/model-deployment-spec.js';
import type { AnalysisResult, CanaryStatus } from '../api/model-deployment-status.js';
import { canarySpecHash } from './canary-identity.js';
import {
  MIN_REQUEUE_MS,
  type CanaryObservation,
  type RolloutDecision,
  type RolloutInput,
  type StableObservation,
} from './rollout-types.js';
import { analysisDue } from './schedule.js';
import { decideRollout, promotedMessage } from './state.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

type CanaryInput = NonNullable<ModelDeploymentSpecInput['canary']>;

function makeSpec(
  canary: Partial<CanaryInput> | undefined,
  rest: Partial<ModelDeploymentSpecInput> = {},
): ModelDeploymentSpec {
  return modelDeploymentSpec.parse({
    model: { version: 'v1', uri: 'https://models.example/v1.onnx' },
    replicas: 4,
    traffic: { router: 'gatewayAPI', gatewayRef: { name: 'gw' } },
    ...rest,
    ...(canary === undefined
      ? {}
      : {
          canary: {
            model: { version: 'v2', uri: 'https://models.example/v2.onnx', sha256: 'a'.repeat(64) },
            steps: [
              { weight: 10, pauseSeconds: 60 },
              { weight: 50, pauseSeconds: 120 },
            ],
            analysis: {
              intervalSeconds: 30,
              maxErrorRate: 0.01,
              maxLatencyP95Ms: 250,
              failureLimit: 2,
              prometheusUrl: 'http://prometheus:9090',
            },
            ...canary,
          },
        }),
  });
}

const NOT_READY: CanaryObservation = { replicas: 1, readyReplicas: 0, available: false };
const READY: CanaryObservation = { replicas: 1, readyReplicas: 1, available: true };
const STABLE_V1: StableObservation = { version: 'v1', available: true };

function input(
  spec: ModelDeploymentSpec,
  previous: CanaryStatus | undefined,
  now: Date,
  more: Partial<RolloutInput> = {},
): RolloutInput {
  return { spec, previous, canary: READY, stable: STABLE_V1, analysis: undefined, now, ...more };
}

const pass = (now: Date): AnalysisResult => ({
  time: now.toISOString(),
  verdict: 'Pass',
  errorRate: 0,
  latencyP95Ms: 12,
  message: 'error rate 0.00% ≤ 1.00%',
});
const fail = (now: Date): AnalysisResult => ({
  time: now.toISOString(),
  verdict: 'Fail',
  errorRate: 0.2,
  message: 'error rate 20.00% > max 1.00%',
});
const noData = (now: Date): AnalysisResult => ({
  time: now.toISOString(),
  verdict: 'Inconclusive',
  message: 'no samples yet (no traffic?): error rate had no data',
});

const reasons = (d: RolloutDecision) => d.events.map((e) => e.reason);

/** Runs Verifying → Progressing step 0 at T0+10s. */
function atStep0(spec: ModelDeploymentSpec): RolloutDecision {
  const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
  return decideRollout(input(spec, started.status, at(10)));
}

describe('canarySpecHash', () => {
  it('covers the candidate model and the steps, not thresholds or switches', () => {
    const base = makeSpec({}).canary!;
    const h = canarySpecHash(base);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(canarySpecHash(makeSpec({ abort: true }).canary!)).toBe(h);
    expect(canarySpecHash(makeSpec({ promote: true, replicas: 3 }).canary!)).toBe(h);
    expect(
      canarySpecHash(
        makeSpec({ analysis: { maxErrorRate: 0.5, prometheusUrl: 'http://p:1' } }).canary!,
      ),
    ).toBe(h);
    expect(
      canarySpecHash(makeSpec({ model: { version: 'v3', uri: 'https://m/v3.onnx' } }).canary!),
    ).not.toBe(h);
    expect(
      canarySpecHash(makeSpec({ steps: [{ weight: 20, pauseSeconds: 60 }] }).canary!),
    ).not.toBe(h);
  });
});

describe('decideRollout: no canary', () => {
  it('without spec.canary or status does nothing', () => {
    const d = decideRollout(input(makeSpec(undefined), undefined, T0));
    expect(d).toMatchObject({
      status: undefined,
      canaryWeight: 0,
      canaryReplicas: 0,
      runCanary: false,
      events: [],
      requeueAfterMs: undefined,
      stableModel: { version: 'v1', uri: 'https://models.example/v1.onnx' },
    });
  });
});

describe('decideRollout: start and verification', () => {
  it('a new canary starts Verifying with weight 0 and one event', () => {
    const spec = makeSpec({});
    const d = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    expect(d.status).toMatchObject({
      phase: 'Verifying',
      version: 'v2',
      weight: 0,
      specHash: canarySpecHash(spec.canary!),
      stepStartedAt: T0.toISOString(),
      failedChecks: 0,
    });
    expect(d.canaryWeight).toBe(0);
    expect(d.runCanary).toBe(true);
    expect(d.canaryReplicas).toBe(1);
    expect(d.stableModel.version).toBe('v1');
    expect(reasons(d)).toEqual(['RolloutStarted']);
    expect(d.conditions.progressing?.reason).toBe('CanaryVerifying');
    expect(d.requeueAfterMs).toBe(600_000);
  });

  it('does not judge the old canary pods in the reconcile that starts a rollout', () => {
    const d = decideRollout(
      input(makeSpec({}), undefined, T0, { canary: { ...READY, goldenFailure: 'x' } }),
    );
    expect(d.status?.phase).toBe('Verifying');
  });

  it('stays Verifying without events while pods start', () => {
    const spec = makeSpec({});
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const again = decideRollout(input(spec, started.status, at(30), { canary: NOT_READY }));
    expect(again.status).toEqual(started.status);
    expect(again.events).toEqual([]);
    expect(again.requeueAfterMs).toBe(570_000);
  });

  it('a golden failure aborts before any traffic', () => {
    const spec = makeSpec({});
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const d = decideRollout(
      input(spec, started.status, at(5), {
        canary: { ...NOT_READY, goldenFailure: 'golden request "zeros": output y[3] 0.7 ≠ 0.2' },
      }),
    );
    expect(d.status?.phase).toBe('Aborted');
    expect(d.status?.message).toMatch(/^GoldenCheckFailed: .*zeros.*0\.7/);
    expect(d.canaryWeight).toBe(0);
    expect(d.canaryReplicas).toBe(0);
    expect(d.runCanary).toBe(false);
    expect(d.events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'GoldenCheckFailed' }),
    ]);
    expect(d.conditions.degraded?.reason).toBe('GoldenCheckFailed');
    expect(d.conditions.stalled?.reason).toBe('GoldenCheckFailed');
    expect(d.conditions.progressing).toBeUndefined();
  });

  it('crashing canary pods abort with CanaryFailed', () => {
    const spec = makeSpec({});
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const d = decideRollout(
      input(spec, started.status, at(5), {
        canary: { ...NOT_READY, crashLoop: 'CrashLoopBackOff: sha256 mismatch' },
      }),
    );
    expect(d.status?.phase).toBe('Aborted');
    expect(d.status?.message).toMatch(/^CanaryFailed: .*sha256 mismatch/);
    expect(reasons(d)).toEqual(['CanaryFailed']);
  });

  it('ignores pods of an earlier candidate (version label differs)', () => {
    const spec = makeSpec({});
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const d = decideRollout(
      input(spec, started.status, at(5), { canary: { ...READY, version: 'v1.5' } }),
    );
    expect(d.status?.phase).toBe('Verifying');
  });

  it('an available canary enters step 0 at its weight', () => {
    const d = atStep0(makeSpec({}));
    expect(d.status).toMatchObject({
      phase: 'Progressing',
      step: 0,
      weight: 10,
      stepStartedAt: at(10).toISOString(),
    });
    expect(d.canaryWeight).toBe(10);
    expect(reasons(d)).toEqual(['CanaryAvailable']);
    expect(d.conditions.progressing?.reason).toBe('CanaryProgressing');
    // First analysis after one interval (30 s), before the 60 s pause ends.
    expect(d.requeueAfterMs).toBe(30_000);
  });

  it('past the progress deadline: Stalled once, with one Warning event', () => {
    const spec = makeSpec({}, { progressDeadlineSeconds: 60 });
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const late = decideRollout(input(spec, started.status, at(61), { canary: NOT_READY }));
    expect(late.status?.phase).toBe('Verifying');
    expect(late.conditions.stalled?.reason).toBe('ProgressDeadlineExceeded');
    expect(reasons(late)).toEqual(['ProgressDeadlineExceeded']);
    const later = decideRollout(input(spec, late.status, at(90), { canary: NOT_READY }));
    expect(later.events).toEqual([]);
    expect(later.status).toEqual(late.status);
    expect(later.conditions.stalled).toBeDefined();
  });
});

describe('decideRollout: steps and analysis', () => {
  const spec = makeSpec({});

  it('analysisDue: after one interval in the step, then every interval', () => {
    const s0 = atStep0(spec).status;
    const base = { spec, previous: s0, canary: READY, stable: STABLE_V1 };
    expect(analysisDue({ ...base, now: at(39) })).toBe(false);
    expect(analysisDue({ ...base, now: at(40) })).toBe(true);
    const afterCheck = decideRollout({ ...base, analysis: pass(at(40)), now: at(40) }).status;
    expect(analysisDue({ ...base, previous: afterCheck, now: at(69) })).toBe(false);
    expect(analysisDue({ ...base, previous: afterCheck, now: at(70) })).toBe(true);
    expect(analysisDue({ ...base, canary: NOT_READY, now: at(40) })).toBe(false);
    expect(analysisDue({ ...base, spec: makeSpec({}, { paused: true }), now: at(40) })).toBe(false);
    expect(analysisDue({ ...base, spec: makeSpec({ analysis: {} }), now: at(40) })).toBe(false);
  });

  it('does not advance before the pause ends even when analysis passes', () => {
    const s0 = atStep0(spec).status;
    const d = decideRollout(input(spec, s0, at(40), { analysis: pass(at(40)) }));
    expect(d.status).toMatchObject({
      phase: 'Progressing',
      step: 0,
      lastAnalysis: { verdict: 'Pass' },
    });
    expect(d.events).toEqual([]);
    // pause ends at 70 s, next analysis at 70 s
    expect(d.requeueAfterMs).toBe(30_000);
  });

  it('advances one step once the pause is over and an analysis in the step passed', () => {
    const s0 = atStep0(spec).status;
    const checked = decideRollout(input(spec, s0, at(40), { analysis: pass(at(40)) })).status;
    const d = decideRollout(input(spec, checked, at(71)));
    expect(d.status).toMatchObject({
      phase: 'Progressing',
      step: 1,
      weight: 50,
      stepStartedAt: at(71).toISOString(),
    });
    expect(d.canaryWeight).toBe(50);
    expect(reasons(d)).toEqual(['StepAdvanced']);
  });

  it('a pass from an earlier step does not count for the next one (never jump a step)', () => {
    const s0 = atStep0(spec).status;
    const checked = decideRollout(input(spec, s0, at(40), { analysis: pass(at(40)) })).status;
    const s1 = decideRollout(input(spec, checked, at(71))).status;
    // Long after step 1's pause, but no analysis during step 1 yet.
    const d = decideRollout(input(spec, s1, at(10_000)));
    expect(d.status).toMatchObject({ phase: 'Progressing', step: 1 });
    expect(d.status?.message).toMatch(/waiting for a passing analysis/);
    expect(d.events).toEqual([]);
  });

  it('Inconclusive neither advances nor counts as a failure, and says why', () => {
    const s0 = atStep0(spec).status;
    const d = decideRollout(input(spec, s0, at(70), { analysis: noData(at(70)) }));
    expect(d.status).toMatchObject({ phase: 'Progressing', step: 0, failedChecks: 0 });
    expect(d.status?.message).toContain('waiting: no samples yet (no traffic?)');
    expect(d.events).toEqual([]);
    expect(d.requeueAfterMs).toBe(30_000);
  });

  it('a Fail increments failedChecks with a Warning; reaching failureLimit aborts', () => {
    const s0 = atStep0(spec).status;
    const f1 = decideRollout(input(spec, s0, at(40), { analysis: fail(at(40)) }));
    expect(f1.status).toMatchObject({ phase: 'Progressing', failedChecks: 1 });
    expect(f1.events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'AnalysisFailed' }),
    ]);
    expect(f1.canaryWeight).toBe(10);
    const f2 = decideRollout(input(spec, f1.status, at(70), { analysis: fail(at(70)) }));
    expect(f2.status).toMatchObject({ phase: 'Aborted', failedChecks: 2, weight: 0 });
    expect(f2.status?.message).toMatch(
      /^RolloutAborted: analysis failed 2\/2 .*error rate 20\.00% > max 1\.00%/,
    );
    expect(f2.status?.lastAnalysis?.verdict).toBe('Fail');
    expect(f2).toMatchObject({ canaryWeight: 0, canaryReplicas: 0, runCanary: false });
    expect(f2.stableModel.version).toBe('v1');
    expect(f2.events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'RolloutAborted' }),
    ]);
    expect(f2.conditions.degraded?.reason).toBe('RolloutAborted');
  });

  it('failed checks accumulate over the rollout (not reset per step)', () => {
    const s0 = atStep0(spec).status;
    const f1 = decideRollout(input(spec, s0, at(40), { analysis: fail(at(40)) })).status;
    const p = decideRollout(input(spec, f1, at(70), { analysis: pass(at(70)) })).status;
    const s1 = decideRollout(input(spec, p, at(71))).status;
    expect(s1).toMatchObject({ step: 1, failedChecks: 1 });
    const f2 = decideRollout(input(spec, s1, at(101), { analysis: fail(at(101)) }));
    expect(f2.status?.phase).toBe('Aborted');
  });

  it('without prometheusUrl steps advance on time alone and ignore stray analysis', () => {
    const noAnalysis = makeSpec({ analysis: { failureLimit: 1 } });
    const s0 = atStep0(noAnalysis);
    expect(s0.requeueAfterMs).toBe(60_000);
    const f = decideRollout(input(noAnalysis, s0.status, at(30), { analysis: fail(at(30)) }));
    expect(f.status?.phase).toBe('Progressing');
    const d = decideRollout(input(noAnalysis, s0.status, at(70)));
    expect(d.status?.step).toBe(1);
  });

  it('a restart resumes from status alone: same input, same decision', () => {
    const s0 = atStep0(spec).status;
    const a = decideRollout(input(spec, s0, at(30)));
    const b = decideRollout(input(spec, structuredClone(s0), at(30)));
    expect(b).toEqual(a);
    expect(a.status).toEqual(s0);
    expect(a.events).toEqual([]);
    expect(a.requeueAfterMs).toBe(10_000);
  });

  it('waits for the canary to be available again before advancing', () => {
    const s0 = atStep0(spec).status;
    const checked = decideRollout(input(spec, s0, at(40), { analysis: pass(at(40)) })).status;
    const d = decideRollout(
      input(spec, checked, at(71), { canary: { replicas: 2, readyReplicas: 1, available: false } }),
    );
    expect(d.status).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(d.status?.message).toMatch(/waiting for the canary to be available \(1\/2/);
  });

  it('a golden failure during a step aborts', () => {
    const s0 = atStep0(spec).status;
    const d = decideRollout(
      input(spec, s0, at(20), { canary: { ...READY, goldenFailure: 'bad output' } }),
    );
    expect(d.status?.phase).toBe('Aborted');
    expect(d.canaryWeight).toBe(0);
  });

  it('requeue never drops below the floor for zero pauses', () => {
    const quick = makeSpec({
      steps: [
        { weight: 10, pauseSeconds: 0 },
        { weight: 100, pauseSeconds: 0 },
      ],
      analysis: {},
    });
    const s0 = atStep0(quick);
    expect(s0.requeueAfterMs).toBe(MIN_REQUEUE_MS);
    const s1 = decideRollout(input(quick, s0.status, at(11)));
    expect(s1.status?.step).toBe(1);
    const p = decideRollout(input(quick, s1.status, at(12)));
    expect(p.status?.phase).toBe('Promoting');
  });
});

describe('decideRollout: promotion', () => {
  const spec = makeSpec({});

  function lastStepPassed() {
    const s0 = atStep0(spec).status;
    const c0 = decideRollout(input(spec, s0, at(40), { analysis: pass(at(40)) })).status;
    const s1 = decideRollout(input(spec, c0, at(71))).status;
    const c1 = decideRollout(input(spec, s1, at(101), { analysis: pass(at(101)) })).status;
    return decideRollout(input(spec, c1, at(192)));
  }

  it('after the last step: Promoting, stable gets the canary model, weight stays', () => {
    const d = lastStepPassed();
    expect(d.status).toMatchObject({ phase: 'Promoting', step: 1, weight: 50 });
    expect(d.stableModel).toEqual({
      version: 'v2',
      uri: 'https://models.example/v2.onnx',
      sha256: 'a'.repeat(64),
    });
    expect(d.canaryWeight).toBe(50);
    expect(d.runCanary).toBe(true);
    expect(reasons(d)).toEqual(['Promoting']);
  });

  it('Promoting waits for the stable track to serve the version, then Promoted', () => {
    const p = lastStepPassed().status;
    const waiting = decideRollout(
      input(spec, p, at(200), { stable: { version: 'v1', available: true } }),
    );
    expect(waiting.status).toEqual(p);
    expect(waiting.canaryWeight).toBe(50);
    expect(waiting.events).toEqual([]);
    const notAvailable = decideRollout(
      input(spec, p, at(201), { stable: { version: 'v2', available: false } }),
    );
    expect(notAvailable.status?.phase).toBe('Promoting');
    const done = decideRollout(
      input(spec, p, at(210), { stable: { version: 'v2', available: true } }),
    );
    expect(done.status).toMatchObject({
      phase: 'Promoted',
      weight: 0,
      message: promotedMessage('v2'),
    });
    expect(done.status?.message).toBe(
      'promoted v2; set spec.model to the canary model and remove spec.canary so Git matches',
    );
    expect(done).toMatchObject({ canaryWeight: 0, runCanary: false, canaryReplicas: 0 });
    expect(done.stableModel.version).toBe('v2');
    expect(reasons(done)).toEqual(['Promoted']);
    expect(done.conditions).toEqual({});
    // Steady: stays Promoted, stable keeps the canary model, nothing to write.
    const steady = decideRollout(
      input(spec, done.status, at(9999), {
        stable: { version: 'v2', available: true },
        canary: { replicas: 0, readyReplicas: 0, available: false },
      }),
    );
    expect(steady.status?.phase).toBe('Promoted');
    expect(steady.stableModel.version).toBe('v2');
    expect(steady.events).toEqual([]);
  });

  it('Git catches up: spec.model = v2 and no spec.canary clears status', () => {
    const p = lastStepPassed().status;
    const done = decideRollout(
      input(spec, p, at(210), { stable: { version: 'v2', available: true } }),
    );
    const synced = makeSpec(undefined, {
      model: { version: 'v2', uri: 'https://models.example/v2.onnx', sha256: 'a'.repeat(64) },
    });
    const d = decideRollout(input(synced, done.status, at(300)));
    expect(d.status).toBeUndefined();
    expect(d.stableModel.version).toBe('v2');
    expect(d.events).toEqual([
      expect.objectContaining({ type: 'Normal', reason: 'RolloutComplete' }),
    ]);
  });

  it('promote=true skips the remaining steps and analysis', () => {
    const s0 = atStep0(spec).status;
    const d = decideRollout(input(makeSpec({ promote: true }), s0, at(15)));
    expect(d.status).toMatchObject({ phase: 'Promoting', weight: 10 });
    expect(d.stableModel.version).toBe('v2');
    expect(reasons(d)).toEqual(['Promoting']);
  });

  it('promote=true on a new canary goes straight to Promoting without canary traffic', () => {
    const d = decideRollout(input(makeSpec({ promote: true }), undefined, T0));
    expect(d.status?.phase).toBe('Promoting');
    expect(d).toMatchObject({ canaryWeight: 0, runCanary: false });
    expect(d.stableModel.version).toBe('v2');
  });
});

describe('decideRollout: abort, removal, pause', () => {
  const spec = makeSpec({});

  it('abort=true aborts (AbortedByUser), not degraded', () => {
    const s0 = atStep0(spec).status;
    const d = decideRollout(input(makeSpec({ abort: true }), s0, at(20)));
    expect(d.status?.phase).toBe('Aborted');
    expect(d.status?.message).toMatch(/^AbortedByUser: /);
    expect(d).toMatchObject({ canaryWeight: 0, canaryReplicas: 0, runCanary: false });
    expect(d.events).toEqual([
      expect.objectContaining({ type: 'Normal', reason: 'AbortedByUser' }),
    ]);
    expect(d.conditions.degraded).toBeUndefined();
  });

  it('an aborted rollout stays aborted until the canary spec hash changes', () => {
    const s0 = atStep0(spec).status;
    const ab = decideRollout(input(makeSpec({ abort: true }), s0, at(20))).status;
    // abort switched back off, same model and steps: still aborted, nothing written.
    const still = decideRollout(input(spec, ab, at(30)));
    expect(still.status).toEqual(ab);
    expect(still.events).toEqual([]);
    expect(still.stableModel.version).toBe('v1');
    expect(still.requeueAfterMs).toBeUndefined();
    const promoteToo = decideRollout(input(makeSpec({ promote: true }), ab, at(31)));
    expect(promoteToo.status?.phase).toBe('Aborted');
    // A new candidate starts a new rollout.
    const next = makeSpec({ model: { version: 'v3', uri: 'https://models.example/v3.onnx' } });
    const restarted = decideRollout(input(next, ab, at(40), { canary: NOT_READY }));
    expect(restarted.status).toMatchObject({ phase: 'Verifying', version: 'v3', failedChecks: 0 });
    expect(restarted.status?.lastAnalysis).toBeUndefined();
    expect(reasons(restarted)).toEqual(['RolloutStarted']);
  });

  it('changing steps mid-rollout restarts it from verification', () => {
    const s0 = atStep0(spec).status;
    const changed = makeSpec({ steps: [{ weight: 25, pauseSeconds: 60 }] });
    const d = decideRollout(input(changed, s0, at(20)));
    expect(d.status?.phase).toBe('Verifying');
    expect(d.events[0]?.message).toMatch(/replaces the rollout of v2/);
  });

  it('removing spec.canary mid-rollout rolls back and clears status', () => {
    const s0 = atStep0(spec).status;
    const d = decideRollout(input(makeSpec(undefined), s0, at(20)));
    expect(d).toMatchObject({
      status: undefined,
      canaryWeight: 0,
      runCanary: false,
      canaryReplicas: 0,
    });
    expect(d.stableModel.version).toBe('v1');
    expect(d.events).toEqual([expect.objectContaining({ type: 'Normal', reason: 'RolledBack' })]);
  });

  it('abort after promotion returns stable to spec.model', () => {
    const p: CanaryStatus = {
      version: 'v2',
      phase: 'Promoted',
      weight: 0,
      specHash: canarySpecHash(spec.canary!),
      message: promotedMessage('v2'),
    };
    const d = decideRollout(input(makeSpec({ abort: true }), p, at(5)));
    expect(d.status?.phase).toBe('Aborted');
    expect(d.stableModel.version).toBe('v1');
  });

  it('spec.paused freezes everything: same status, no events, no requeue', () => {
    const s0 = atStep0(spec).status;
    const pausedSpec = makeSpec({}, { paused: true });
    const d = decideRollout(input(pausedSpec, s0, at(10_000), { analysis: fail(at(10_000)) }));
    expect(d.status).toBe(s0);
    expect(d.events).toEqual([]);
    expect(d.requeueAfterMs).toBeUndefined();
    expect(d.canaryWeight).toBe(10);
    expect(d.conditions.progressing?.reason).toBe('RolloutPaused');
    // Even a golden failure or abort switch waits.
    const abortPaused = makeSpec({ abort: true }, { paused: true });
    expect(decideRollout(input(abortPaused, s0, at(10_001))).status).toBe(s0);
    // A new rollout does not start while paused.
    expect(decideRollout(input(pausedSpec, undefined, T0)).status).toBeUndefined();
    // Removing spec.canary while paused waits too.
    const removedPaused = makeSpec(undefined, { paused: true });
    expect(decideRollout(input(removedPaused, s0, at(10_002))).status).toBe(s0);
  });
});

describe('decideRollout: no status churn', () => {
  it('re-deciding any reached state with nothing new writes nothing and emits nothing', () => {
    const spec = makeSpec({});
    const states: [CanaryStatus | undefined, Date, Partial<RolloutInput>][] = [];
    let d = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    states.push([d.status, at(1), { canary: NOT_READY }]);
    d = decideRollout(input(spec, d.status, at(10)));
    states.push([d.status, at(11), {}]);
    d = decideRollout(input(spec, d.status, at(40), { analysis: fail(at(40)) }));
    states.push([d.status, at(41), {}]);
    d = decideRollout(input(spec, d.status, at(70), { analysis: noData(at(70)) }));
    states.push([d.status, at(71), {}]);
    d = decideRollout(input(spec, d.status, at(100), { analysis: pass(at(100)) }));
    expect(d.status?.step).toBe(1);
    states.push([d.status, at(101), {}]);
    d = decideRollout(input(spec, d.status, at(130), { analysis: pass(at(130)) }));
    states.push([d.status, at(131), {}]);
    d = decideRollout(input(spec, d.status, at(221)));
    expect(d.status?.phase).toBe('Promoting');
    states.push([d.status, at(222), {}]);
    d = decideRollout(
      input(spec, d.status, at(230), { stable: { version: 'v2', available: true } }),
    );
    expect(d.status?.phase).toBe('Promoted');
    states.push([d.status, at(231), { stable: { version: 'v2', available: true } }]);
    for (const [status, now, more] of states) {
      const again = decideRollout(input(spec, status, now, more));
      expect(again.status, status?.phase).toEqual(status);
      expect(again.events, status?.phase).toEqual([]);
    }
  });
});

describe('decideRollout: replicaRatio router', () => {
  const spec = makeSpec({}, { traffic: { router: 'replicaRatio' }, replicas: 4 });

  it('splits pods and reports the effective weight', () => {
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    expect(started.canaryReplicas).toBe(1);
    expect(started.stableReplicas).toBeUndefined();
    const s0 = decideRollout(input(spec, started.status, at(10)));
    // 10% of 4 pods → 1 canary, 3 stable → 25% real share.
    expect(s0).toMatchObject({ canaryWeight: 10, canaryReplicas: 1, stableReplicas: 3 });
    expect(s0.status?.weight).toBe(25);
  });

  it('while promoting after a 100% step the stable track gets its full count back', () => {
    const full = makeSpec(
      { steps: [{ weight: 100, pauseSeconds: 0 }], analysis: {} },
      { traffic: { router: 'replicaRatio' }, replicas: 4 },
    );
    const s0 = atStep0(full);
    expect(s0).toMatchObject({ canaryWeight: 100, canaryReplicas: 4, stableReplicas: 0 });
    const p = decideRollout(input(full, s0.status, at(11)));
    expect(p.status?.phase).toBe('Promoting');
    expect(p).toMatchObject({ canaryReplicas: 4, stableReplicas: undefined, runCanary: true });
    expect(p.status?.weight).toBe(50);
  });

  it('uses totalReplicas from the controller (HPA count) when given', () => {
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const s0 = decideRollout(input(spec, started.status, at(10), { totalReplicas: 20 }));
    expect(s0).toMatchObject({ canaryReplicas: 2, stableReplicas: 18 });
    expect(s0.status?.weight).toBe(10);
  });
});

describe('decideRollout: canary sizing from the live stable count', () => {
  const hpa: Partial<ModelDeploymentSpecInput> = {
    traffic: { router: 'replicaRatio' },
    autoscaling: { minReplicas: 2, maxReplicas: 6, metric: 'inflight', targetInflight: 4 },
  };
  const fiftyFifty = { steps: [{ weight: 50, pauseSeconds: 60 }], analysis: {} };
  const stableOf = (pods: number): StableObservation => ({
    ...STABLE_V1,
    replicas: pods,
    readyReplicas: pods,
  });

  it('adds canary pods beside the pods the HPA runs, instead of splitting minReplicas', () => {
    // examples/full.yaml: HPA 2–6 at 6 stable pods; a 50 % step needs 6 canary pods.
    const spec = makeSpec(fiftyFifty, hpa);
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const ready = { replicas: 6, readyReplicas: 6, available: true };
    const s0 = decideRollout(
      input(spec, started.status, at(10), { stable: stableOf(6), canary: ready }),
    );
    expect(s0).toMatchObject({ canaryReplicas: 6, stableReplicas: undefined });
    expect(s0.status?.weight).toBe(50);
  });

  it('reports the share ready pods really give, not the requested weight', () => {
    const spec = makeSpec(fiftyFifty, hpa);
    const started = decideRollout(input(spec, undefined, T0, { canary: NOT_READY }));
    const oneReady = { replicas: 6, readyReplicas: 1, available: false };
    const s = decideRollout(
      input(spec, started.status, at(10), { stable: stableOf(6), canary: oneReady }),
    );
    expect(s.status?.weight).toBe(14);
  });

  it('scales the gatewayAPI canary with its weight and the stable count', () => {
    const steps = {
      steps: [
        { weight: 10, pauseSeconds: 0 },
        { weight: 50, pauseSeconds: 0 },
      ],
      analysis: {},
    };
    const spec = makeSpec(steps, { replicas: 6 });
    const s0 = atStep0(spec);
    expect(s0).toMatchObject({ canaryWeight: 10, canaryReplicas: 1 });
    const s1 = decideRollout(input(spec, s0.status, at(11)));
    expect(s1).toMatchObject({ canaryWeight: 50, canaryReplicas: 6 });
  });
});

describe('decideRollout: the abort reason is a status field', () => {
  it('records why a rollout was aborted in status.canary.abortReason and keeps it', () => {
    const spec = makeSpec({});
    const s0 = atStep0(spec);
    const f1 = decideRollout(input(spec, s0.status, at(41), { analysis: fail(at(41)) }));
    const f2 = decideRollout(input(spec, f1.status, at(72), { analysis: fail(at(72)) }));
    expect(f2.status).toMatchObject({ phase: 'Aborted', abortReason: 'RolloutAborted' });
    // Another status message (an older operator, a hand edit) does not change the reason.
    const edited = { ...f2.status, message: 'GoldenCheckFailed: something else' };
    const again = decideRollout(input(spec, edited, at(100)));
    expect(again.status?.abortReason).toBe('RolloutAborted');
    expect(again.conditions.degraded?.reason).toBe('RolloutAborted');
  });

  it('reads the reason of a status written before the field existed from its message', () => {
    const spec = makeSpec({});
    const legacy: CanaryStatus = {
      phase: 'Aborted',
      version: 'v2',
      specHash: canarySpecHash(spec.canary!),
      message: 'GoldenCheckFailed: golden check failed on a canary pod',
    };
    const d = decideRollout(input(spec, legacy, at(5)));
    expect(d.status?.abortReason).toBe('GoldenCheckFailed');
  });
});

describe('decideRollout: a bound on inconclusive analysis', () => {
  it('pauses at the step with Stalled=AnalysisInconclusive after the limit, and resumes on a pass', () => {
    const spec = makeSpec({
      steps: [
        { weight: 10, pauseSeconds: 0 },
        { weight: 50, pauseSeconds: 0 },
      ],
      analysis: {
        intervalSeconds: 30,
        maxErrorRate: 0.01,
        failureLimit: 2,
        inconclusiveLimit: 3,
        prometheusUrl: 'http://prometheus:9090',
      },
    });
    let d = atStep0(spec);
    const seen: (string | undefined)[] = [];
    for (let i = 1; i <= 4; i++) {
      const now = at(10 + 31 * i);
      d = decideRollout(input(spec, d.status, now, { analysis: noData(now) }));
      seen.push(d.conditions.stalled?.reason);
    }
    expect(seen).toEqual([undefined, undefined, 'AnalysisInconclusive', 'AnalysisInconclusive']);
    expect(d.status).toMatchObject({ phase: 'Progressing', step: 0, inconclusiveChecks: 4 });
    expect(d.status?.message).toContain('spec.canary.promote');
    // The warning is recorded once, when the limit is reached.
    const passed = decideRollout(input(spec, d.status, at(200), { analysis: pass(at(200)) }));
    expect(passed.status).toMatchObject({ phase: 'Progressing', step: 1 });
    expect(passed.status?.inconclusiveChecks).toBeUndefined();
    expect(passed.conditions.stalled).toBeUndefined();
  });
});
