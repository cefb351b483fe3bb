import type { ModelDeploymentSpec } from '../api/model-deployment-spec.js';
import type { AnalysisResult, CanaryStatus } from '../api/model-deployment-status.js';
import { NO_SAMPLES } from './analysis-queries.js';
import { abortReason, canarySpecHash, type AbortReason } from './canary-identity.js';
import { canaryModel, decision, noRollout, stableSpecModel } from './decision.js';
import {
  MIN_REQUEUE_MS,
  type CanaryObservation,
  type ConditionHint,
  type Context,
  type RolloutDecision,
  type RolloutEvent,
  type RolloutInput,
  type ShadowGateReading,
} from './rollout-types.js';
import {
  analysisConfigured,
  analysisOf,
  nextAnalysisAt,
  parseTime,
  stepLabel,
  stepNeedsAnalysis,
} from './schedule.js';
import { SHADOW_GATE_INTERVAL_MS, gateEndsAt, judgeShadowGate, readingOf } from './shadow-gate.js';
import { pickTraffic, requestedWeight, totalReplicas, trafficFor } from './traffic.js';

/**
 * The phase transitions of a canary rollout: Pending → (Shadowing →) Verifying → Progressing →
 * Promoting → Promoted, or Aborted. Shadowing only with spec.canary.shadow.
 */

/** The observation describes the current candidate (not pods of an earlier one). */
function currentObservation(ctx: Context, obs: CanaryObservation): CanaryObservation {
  if (obs.version !== undefined && obs.version !== ctx.canary.model.version) {
    return { replicas: obs.replicas, readyReplicas: 0, available: false };
  }
  return obs;
}

/** Decides the rollout for one reconcile. Pure: same input, same output. */
export function decideRollout(input: RolloutInput): RolloutDecision {
  const { spec, previous } = input;
  const canary = spec.canary;

  if (canary === undefined) {
    if (previous === undefined) return noRollout(spec, []);
    if (spec.paused) return pausedWithoutCanary(input, previous);
    return noRollout(spec, [removalEvent(spec, previous)]);
  }

  const ctx: Context = {
    spec,
    canary,
    hash: canarySpecHash(canary),
    now: input.now,
    nowMs: input.now.getTime(),
    total: totalReplicas(input),
    autoscaled: spec.autoscaling !== undefined,
    maxCanary: spec.autoscaling?.maxReplicas ?? Number.POSITIVE_INFINITY,
  };
  const sameRollout =
    previous !== undefined && previous.specHash === ctx.hash && previous.phase !== undefined;

  if (spec.paused) return paused(ctx, input, sameRollout ? previous : undefined);
  const current = sameRollout && previous.phase !== 'Pending' ? previous : undefined;
  // An aborted rollout stays aborted until the canary spec changes; abort changes nothing more.
  if (canary.abort && current?.phase !== 'Aborted') return abortedByUser(ctx, input, current);
  if (current === undefined) return start(ctx, input, previous);
  const previousPhase = current;

  switch (previousPhase.phase) {
    case 'Shadowing':
      return shadowing(ctx, input, previousPhase);
    case 'Verifying':
      return verifying(ctx, input, previousPhase);
    case 'Progressing':
      return progressing(ctx, input, previousPhase);
    case 'Promoting':
      return promoting(ctx, input, previousPhase);
    case 'Promoted':
      return promoted(ctx, input, previousPhase);
    default:
      return aborted(ctx, input, previousPhase);
  }
}

/** spec.canary.abort: all traffic back on stable; after a promotion, stable returns to spec.model. */
function abortedByUser(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus | undefined,
): RolloutDecision {
  const afterPromotion = previous?.phase === 'Promoted' ? ' after promotion' : '';
  return toAborted(
    ctx,
    input,
    previous,
    'AbortedByUser',
    `spec.canary.abort is true${afterPromotion}`,
    previous?.failedChecks ?? 0,
  );
}

function removalEvent(spec: ModelDeploymentSpec, previous: CanaryStatus): RolloutEvent {
  const candidate = previous.version ?? 'the canary';
  if (previous.phase === 'Promoted' && previous.version === spec.model.version) {
    return {
      type: 'Normal',
      reason: 'RolloutComplete',
      message: `spec.model now names ${candidate} and spec.canary was removed; rollout finished`,
    };
  }
  if (previous.phase === 'Aborted') {
    return {
      type: 'Normal',
      reason: 'CanaryRemoved',
      message: `spec.canary removed; the aborted rollout of ${candidate} is cleared, stable serves ${spec.model.version}`,
    };
  }
  return {
    type: 'Normal',
    reason: 'RolledBack',
    message: `spec.canary removed during the rollout of ${candidate} (phase ${previous.phase ?? 'unknown'}); all traffic back on stable ${spec.model.version}`,
  };
}

/** spec.paused: nothing moves, status stays as it was. */
function paused(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus | undefined,
): RolloutDecision {
  const progressing: ConditionHint = {
    reason: 'RolloutPaused',
    message: 'spec.paused is true: the rollout is frozen until it is set to false',
  };
  if (previous === undefined) {
    // A rollout does not start while paused; any older rollout record stays as written.
    return {
      ...noRollout(ctx.spec, []),
      status: input.previous,
      conditions: input.previous === undefined ? {} : { progressing },
    };
  }
  const phase = previous.phase ?? 'Verifying';
  const traffic = trafficFor(ctx, phase, requestedWeight(ctx, previous));
  const promoting = phase === 'Promoting' || phase === 'Promoted';
  return {
    status: previous,
    ...pickTraffic(traffic),
    stableModel: promoting ? canaryModel(ctx.canary) : stableSpecModel(ctx.spec),
    shadowCandidate: phase === 'Shadowing',
    events: [],
    requeueAfterMs: undefined,
    conditions: phase === 'Aborted' || phase === 'Promoted' ? {} : { progressing },
  };
}

function pausedWithoutCanary(input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  return {
    ...noRollout(input.spec, []),
    status: previous,
    conditions: {
      progressing: {
        reason: 'RolloutPaused',
        message: 'spec.paused is true: removing spec.canary takes effect once it is set to false',
      },
    },
  };
}

function start(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus | undefined,
): RolloutDecision {
  const version = ctx.canary.model.version;
  const superseded =
    previous?.version !== undefined && previous.specHash !== ctx.hash
      ? ` (replaces the rollout of ${previous.version})`
      : '';
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, undefined, 0, 'spec.canary.promote is true', superseded);
  }
  const deadline = ctx.spec.progressDeadlineSeconds * 1000;
  const gate = ctx.canary.shadow;
  if (gate !== undefined) {
    return decision(ctx, input, {
      phase: 'Shadowing',
      weight: 0,
      step: undefined,
      stepStartedAt: ctx.now.toISOString(),
      failedChecks: 0,
      message: shadowStartingMessage(ctx),
      lastAnalysis: undefined,
      events: [
        {
          type: 'Normal',
          reason: 'RolloutStarted',
          message: `rolling out ${version} in ${ctx.canary.steps.length} steps${superseded}; first as a shadow of stable for ${gate.durationSeconds}s, no user traffic`,
        },
      ],
      requeueAfterMs: deadline,
    });
  }
  return decision(ctx, input, {
    phase: 'Verifying',
    weight: 0,
    step: undefined,
    stepStartedAt: ctx.now.toISOString(),
    failedChecks: 0,
    message: `verifying ${version}: starting canary pods and running golden checks, no traffic yet`,
    lastAnalysis: undefined,
    events: [
      {
        type: 'Normal',
        reason: 'RolloutStarted',
        message: `rolling out ${version} in ${ctx.canary.steps.length} steps${superseded}; canary pods start with no traffic`,
      },
    ],
    requeueAfterMs: deadline,
  });
}

function shadowStartingMessage(ctx: Context): string {
  return `shadowing ${ctx.canary.model.version}: starting the candidate as a shadow of stable, no user traffic`;
}

/** The candidate passed (or skipped) the shadow gate: its canary pods start, still no traffic. */
function toVerifying(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus,
  event: RolloutEvent,
  shadowGate: CanaryStatus['shadowGate'],
): RolloutDecision {
  return decision(ctx, input, {
    phase: 'Verifying',
    weight: 0,
    step: undefined,
    stepStartedAt: ctx.now.toISOString(),
    failedChecks: previous.failedChecks ?? 0,
    message: `verifying ${ctx.canary.model.version}: starting canary pods and running golden checks, no traffic yet`,
    lastAnalysis: previous.lastAnalysis,
    shadowGate,
    events: [event],
    requeueAfterMs: ctx.spec.progressDeadlineSeconds * 1000,
  });
}

/**
 * Shadowing (spec.canary.shadow): the candidate runs on the shadow track and the stable pods
 * mirror to it. The gate's clock starts once the candidate's pods are ready and the stable
 * track has rolled (its pods carry the mirroring settings); then the comparisons since that
 * moment decide: pass → Verifying, disagreement → Aborted (ShadowDisagreement), too few by
 * the end → wait with Stalled=ShadowInsufficientTraffic, as an inconclusive analysis does.
 */
function shadowing(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  const gate = ctx.canary.shadow;
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, previous, 0, 'spec.canary.promote is true', '');
  }
  if (gate === undefined) {
    const message = `spec.canary.shadow was removed: ${ctx.canary.model.version} skips the shadow gate`;
    return toVerifying(
      ctx,
      input,
      previous,
      { type: 'Normal', reason: 'ShadowGateSkipped', message },
      previous.shadowGate,
    );
  }
  const track = input.shadowTrack ?? { replicas: 0, readyReplicas: 0, available: false };
  const obs = currentObservation(ctx, track);
  if (obs.crashLoop !== undefined) {
    return toAborted(
      ctx,
      input,
      previous,
      'CanaryFailed',
      `the candidate's shadow pods fail: ${obs.crashLoop}`,
      previous.failedChecks ?? 0,
    );
  }
  const started = parseTime(previous.shadowGate?.startedAt);
  if (started === undefined) return shadowStarting(ctx, input, previous, obs, gate);
  if (input.shadowGateRefused !== undefined) {
    const refused: ConditionHint = {
      reason: 'PrometheusUrlNotAllowed',
      message: input.shadowGateRefused,
    };
    return shadowHold(ctx, input, previous, previous.shadowGate, {
      message: `shadow gate: holding: ${refused.message}`,
      stalled: refused,
    });
  }
  const reading = input.shadowGate ?? readingOf(previous.shadowGate);
  const gateStatus = { startedAt: new Date(started).toISOString(), ...reading };
  const verdict = judgeShadowGate(gate, started, reading, ctx.nowMs);
  switch (verdict.kind) {
    case 'disagreed':
      return toAborted(
        ctx,
        input,
        { ...previous, shadowGate: gateStatus },
        'ShadowDisagreement',
        `${percent(verdict.rate)} of ${Math.round(verdict.reading.compared ?? 0)} compared requests disagreed with stable, more than maxDisagreementRate ${percent(gate.maxDisagreementRate)}`,
        previous.failedChecks ?? 0,
      );
    case 'passed':
      return toVerifying(
        ctx,
        input,
        previous,
        {
          type: 'Normal',
          reason: 'ShadowGatePassed',
          message: `${ctx.canary.model.version} agreed with stable on ${percent(1 - (verdict.reading.disagreementRate ?? 0))} of ${Math.round(verdict.reading.compared ?? 0)} compared requests over ${gate.durationSeconds}s; starting canary pods`,
        },
        gateStatus,
      );
    case 'insufficient': {
      const why = verdict.reading.message === undefined ? '' : ` (${verdict.reading.message})`;
      const message = `shadow gate: waiting: only ${Math.round(verdict.reading.compared ?? 0)} of ${gate.minComparedRequests} requests compared after ${gate.durationSeconds}s${why}; send traffic to the model, raise spec.canary.shadow.percent, or decide by hand with spec.canary.promote or spec.canary.abort`;
      const stalled: ConditionHint = { reason: 'ShadowInsufficientTraffic', message };
      return shadowHold(ctx, input, previous, gateStatus, {
        message,
        stalled,
        waitMs: Math.max(verdict.waitMs, MIN_REQUEUE_MS),
        ...(previous.message === message
          ? {}
          : { event: { type: 'Warning', reason: 'ShadowInsufficientTraffic', message } }),
      });
    }
    default: {
      // No clock in the message: an unchanged reading must not rewrite status.
      const until = new Date(gateEndsAt(gate, started)).toISOString();
      const seen = reading === undefined ? 'no reading yet' : readingSummary(reading);
      return shadowHold(ctx, input, previous, gateStatus, {
        message: `shadow gate: comparing ${ctx.canary.model.version} with stable until ${until} (${seen})`,
        waitMs: verdict.waitMs,
      });
    }
  }
}

/** Waits for the candidate's shadow pods and the stable roll; starts the gate's clock. */
function shadowStarting(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus,
  obs: CanaryObservation,
  gate: NonNullable<Context['canary']['shadow']>,
): RolloutDecision {
  if (obs.available && input.stable.available) {
    const shadowGate = { startedAt: ctx.now.toISOString() };
    return shadowHold(ctx, input, previous, shadowGate, {
      message: `shadow gate: comparing ${ctx.canary.model.version} with stable for ${gate.durationSeconds}s`,
      waitMs: Math.min(SHADOW_GATE_INTERVAL_MS, gate.durationSeconds * 1000),
      event: {
        type: 'Normal',
        reason: 'ShadowGateStarted',
        message: `${ctx.canary.model.version} is ready as a shadow; stable pods mirror ${gate.percent}% of their requests to it for ${gate.durationSeconds}s`,
      },
    });
  }
  const startedPhase = parseTime(previous.stepStartedAt) ?? ctx.nowMs;
  const left = startedPhase + ctx.spec.progressDeadlineSeconds * 1000 - ctx.nowMs;
  if (left > 0) {
    return shadowHold(ctx, input, previous, previous.shadowGate, {
      message: previous.message ?? shadowStartingMessage(ctx),
      waitMs: left,
    });
  }
  const message = `the candidate ${ctx.canary.model.version} is not ready as a shadow after ${ctx.spec.progressDeadlineSeconds}s (${obs.readyReplicas}/${obs.replicas} shadow pods ready, stable ${input.stable.available ? 'available' : 'not available'}); check the pods of the -shadow Deployment`;
  const stalled: ConditionHint = { reason: 'ProgressDeadlineExceeded', message };
  return shadowHold(ctx, input, previous, previous.shadowGate, {
    message,
    stalled,
    ...(previous.message === message
      ? {}
      : { event: { type: 'Warning', reason: 'ProgressDeadlineExceeded', message } }),
  });
}

interface Hold {
  message: string;
  waitMs?: number;
  stalled?: ConditionHint;
  event?: RolloutEvent;
}

function shadowHold(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus,
  shadowGate: CanaryStatus['shadowGate'],
  hold: Hold,
): RolloutDecision {
  return decision(ctx, input, {
    ...carry(previous),
    phase: 'Shadowing',
    weight: 0,
    message: hold.message,
    shadowGate,
    events: hold.event === undefined ? [] : [hold.event],
    requeueAfterMs: hold.waitMs,
    ...(hold.stalled !== undefined ? { stalled: hold.stalled } : {}),
  });
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`;
}

function readingSummary(reading: ShadowGateReading): string {
  if (reading.disagreementRate === undefined) return reading.message ?? 'nothing compared yet';
  return `${Math.round(reading.compared ?? 0)} compared, ${percent(reading.disagreementRate)} disagreed`;
}

/** Golden failure or crash of canary pods → Aborted; undefined when the pods are fine. */
function canaryBroken(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus,
  obs: CanaryObservation,
): RolloutDecision | undefined {
  if (obs.goldenFailure !== undefined) {
    return toAborted(
      ctx,
      input,
      previous,
      'GoldenCheckFailed',
      `golden check failed on a canary pod: ${obs.goldenFailure}`,
      previous.failedChecks ?? 0,
    );
  }
  if (obs.crashLoop !== undefined) {
    return toAborted(
      ctx,
      input,
      previous,
      'CanaryFailed',
      `canary pods fail: ${obs.crashLoop}`,
      previous.failedChecks ?? 0,
    );
  }
  return undefined;
}

function verifying(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, previous, 0, 'spec.canary.promote is true', '');
  }
  const obs = currentObservation(ctx, input.canary);
  const broken = canaryBroken(ctx, input, previous, obs);
  if (broken) return broken;
  if (obs.available && input.routeBlocked !== undefined) return holdForRoute(ctx, input, previous);
  if (obs.available) return toStep(ctx, input, previous, 0, previous.failedChecks ?? 0);

  // Still starting: watch the progress deadline.
  const started = parseTime(previous.stepStartedAt) ?? ctx.nowMs;
  const deadline = ctx.spec.progressDeadlineSeconds * 1000;
  const left = started + deadline - ctx.nowMs;
  const base = `verifying ${ctx.canary.model.version}: starting canary pods and running golden checks, no traffic yet`;
  if (left > 0) {
    return decision(ctx, input, {
      ...carry(previous),
      phase: 'Verifying',
      weight: 0,
      message: previous.message ?? base,
      events: [],
      requeueAfterMs: left,
    });
  }
  const message = `canary ${ctx.canary.model.version} not ready after ${ctx.spec.progressDeadlineSeconds}s (${obs.readyReplicas}/${obs.replicas} pods ready); check the canary pods' events and logs`;
  return decision(ctx, input, {
    ...carry(previous),
    phase: 'Verifying',
    weight: 0,
    message,
    events:
      previous.message === message
        ? []
        : [{ type: 'Warning', reason: 'ProgressDeadlineExceeded', message }],
    requeueAfterMs: undefined,
    stalled: { reason: 'ProgressDeadlineExceeded', message },
  });
}

/**
 * The HTTPRoute does not carry traffic (its Gateway has not accepted it): a step measured now
 * would measure nothing, so the rollout stays where it is until the route is accepted.
 */
function holdForRoute(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  const phase = previous.phase === 'Progressing' ? 'Progressing' : 'Verifying';
  const where = phase === 'Progressing' ? stepLabel(ctx, previous.step ?? 0) : 'verified canary';
  return decision(ctx, input, {
    ...carry(previous),
    phase,
    weight: phase === 'Progressing' ? requestedWeight(ctx, previous) : 0,
    message: `${where}: holding until the HTTPRoute routes traffic: ${input.routeBlocked ?? ''}`,
    events: [],
    requeueAfterMs: undefined,
  });
}

function carry(previous: CanaryStatus) {
  return {
    inconclusiveChecks: previous.inconclusiveChecks,
    step: previous.step,
    stepStartedAt: previous.stepStartedAt,
    failedChecks: previous.failedChecks ?? 0,
    lastAnalysis: previous.lastAnalysis,
  };
}

/** Enters step `step` now. */
function toStep(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus,
  step: number,
  failedChecks: number,
): RolloutDecision {
  const pause = ctx.canary.steps[step]?.pauseSeconds ?? 0;
  const weight = ctx.canary.steps[step]?.weight ?? 0;
  const message = `${stepLabel(ctx, step)} for at least ${pause}s${
    stepNeedsAnalysis(ctx.canary, step) ? ' and a passing analysis' : ''
  }`;
  const first = step === 0;
  const status: CanaryStatus = {
    ...previous,
    phase: 'Progressing',
    step,
    stepStartedAt: ctx.now.toISOString(),
  };
  const next = nextAnalysisAt(ctx.canary, status);
  const waits = [pause * 1000, next === undefined ? undefined : next - ctx.nowMs].filter(
    (v): v is number => v !== undefined,
  );
  return decision(ctx, input, {
    phase: 'Progressing',
    weight,
    step,
    stepStartedAt: ctx.now.toISOString(),
    failedChecks,
    message,
    lastAnalysis: previous.lastAnalysis,
    events: [
      first
        ? {
            type: 'Normal',
            reason: 'CanaryAvailable',
            message: `canary ${ctx.canary.model.version} passed its golden checks and is ready; ${stepLabel(ctx, 0)}`,
          }
        : { type: 'Normal', reason: 'StepAdvanced', message: stepLabel(ctx, step) },
    ],
    requeueAfterMs: Math.min(...waits),
  });
}

function progressing(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  const steps = ctx.canary.steps;
  const step = Math.min(Math.max(0, previous.step ?? 0), steps.length - 1);
  const weight = steps[step]?.weight ?? 0;
  const failedBefore = previous.failedChecks ?? 0;
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, previous, weight, 'spec.canary.promote is true', '');
  }
  const obs = currentObservation(ctx, input.canary);
  const broken = canaryBroken(ctx, input, previous, obs);
  if (broken) return broken;

  if (input.routeBlocked !== undefined) return holdForRoute(ctx, input, previous);

  // Record this reconcile's analysis (only the rollout's own analysis counts).
  const needsAnalysis = stepNeedsAnalysis(ctx.canary, step);
  const result = analysisConfigured(ctx.canary) ? input.analysis : undefined;
  const lastAnalysis = result ?? previous.lastAnalysis;
  let failedChecks = failedBefore;
  const events: RolloutEvent[] = [];
  if (result?.verdict === 'Fail') {
    failedChecks += 1;
    const limit = analysisOf(ctx.canary).failureLimit;
    if (failedChecks >= limit) {
      return toAborted(
        ctx,
        input,
        { ...previous, lastAnalysis },
        'RolloutAborted',
        `analysis failed ${failedChecks}/${limit} checks at ${stepLabel(ctx, step)}: ${result.message}`,
        failedChecks,
      );
    }
    events.push({
      type: 'Warning',
      reason: 'AnalysisFailed',
      message: `analysis check failed (${failedChecks}/${limit} allowed before abort) at ${stepLabel(ctx, step)}: ${result.message}`,
    });
  }

  const inconclusive = inconclusiveRun(ctx, previous, result, needsAnalysis, step);
  if (inconclusive.event) events.push(inconclusive.event);
  const refused: ConditionHint | undefined =
    needsAnalysis && input.analysisRefused !== undefined
      ? { reason: 'PrometheusUrlNotAllowed', message: input.analysisRefused }
      : undefined;

  const stepStart = parseTime(previous.stepStartedAt) ?? ctx.nowMs;
  const pauseLeft = stepStart + (steps[step]?.pauseSeconds ?? 0) * 1000 - ctx.nowMs;
  const passedInStep =
    lastAnalysis?.verdict === 'Pass' && (parseTime(lastAnalysis.time) ?? 0) >= stepStart;
  const analysisOk = !needsAnalysis || passedInStep;

  if (pauseLeft <= 0 && analysisOk && obs.available) {
    const advanced = { ...previous, lastAnalysis, failedChecks };
    if (step + 1 < steps.length) {
      const d = toStep(ctx, input, advanced, step + 1, failedChecks);
      return { ...d, events: [...events, ...d.events] };
    }
    const d = toPromoting(ctx, input, advanced, weight, `all ${steps.length} steps passed`, '');
    return { ...d, events: [...events, ...d.events] };
  }

  let message: string;
  if (refused) {
    message = `${stepLabel(ctx, step)}: holding: ${refused.message}`;
  } else if (inconclusive.stalled) {
    message = inconclusive.stalled.message;
  } else if (!obs.available) {
    message = `${stepLabel(ctx, step)}: waiting for the canary to be available (${obs.readyReplicas}/${obs.replicas} pods ready)`;
  } else if (lastAnalysis?.verdict === 'Inconclusive' && needsAnalysis) {
    message = `${stepLabel(ctx, step)}: waiting: ${
      lastAnalysis.message.startsWith(NO_SAMPLES) ? NO_SAMPLES : lastAnalysis.message
    }`;
  } else if (lastAnalysis?.verdict === 'Fail' && needsAnalysis && result !== undefined) {
    message = `${stepLabel(ctx, step)}: analysis failed (${failedChecks}/${analysisOf(ctx.canary).failureLimit}): ${lastAnalysis.message}`;
  } else if (pauseLeft <= 0 && !analysisOk) {
    message = `${stepLabel(ctx, step)}: waiting for a passing analysis`;
  } else {
    // Keep the message as it was so an unchanged state writes nothing.
    message = previous.message ?? stepLabel(ctx, step);
  }

  const status: CanaryStatus = { ...previous, lastAnalysis };
  const next = obs.available ? nextAnalysisAt(ctx.canary, status) : undefined;
  const waits = [
    pauseLeft > 0 ? pauseLeft : undefined,
    next === undefined ? undefined : next - ctx.nowMs,
  ].filter((v): v is number => v !== undefined);
  return decision(ctx, input, {
    phase: 'Progressing',
    weight,
    step,
    stepStartedAt: previous.stepStartedAt ?? ctx.now.toISOString(),
    failedChecks,
    inconclusiveChecks: inconclusive.count,
    message,
    lastAnalysis,
    events,
    requeueAfterMs: waits.length === 0 ? undefined : Math.min(...waits),
    ...(refused
      ? { stalled: refused }
      : inconclusive.stalled
        ? { stalled: inconclusive.stalled }
        : {}),
  });
}

interface InconclusiveRun {
  count: number;
  /** Present once the run reached spec.canary.analysis.inconclusiveLimit. */
  stalled?: ConditionHint;
  /** Only on the check that reached the limit. */
  event?: RolloutEvent;
}

/**
 * A canary with little traffic measures nothing, and an inconclusive check neither passes
 * nor fails a step (argo-rollouts#180). Without a bound it would stay in progress forever;
 * after inconclusiveLimit such checks in a row the rollout pauses at its step and says so,
 * until a check passes or someone promotes or aborts it.
 */
function inconclusiveRun(
  ctx: Context,
  previous: CanaryStatus,
  result: AnalysisResult | undefined,
  needsAnalysis: boolean,
  step: number,
): InconclusiveRun {
  const before = previous.inconclusiveChecks ?? 0;
  const count = result === undefined ? before : result.verdict === 'Inconclusive' ? before + 1 : 0;
  const limit = analysisOf(ctx.canary).inconclusiveLimit;
  if (!needsAnalysis || count < limit) return { count };
  const message = `${stepLabel(ctx, step)}: paused after ${count} inconclusive analysis checks in a row (${previous.lastAnalysis?.message ?? result?.message ?? 'no data'}); send traffic to the model, check spec.canary.analysis.prometheusUrl, or decide by hand with spec.canary.promote or spec.canary.abort`;
  const stalled: ConditionHint = { reason: 'AnalysisInconclusive', message };
  const reached = result?.verdict === 'Inconclusive' && count === limit;
  return {
    count,
    stalled,
    ...(reached ? { event: { type: 'Warning', reason: 'AnalysisInconclusive', message } } : {}),
  };
}

function toPromoting(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus | undefined,
  weight: number,
  why: string,
  note: string,
): RolloutDecision {
  const version = ctx.canary.model.version;
  const message = `promoting ${version}: ${why}; the stable track is switching to ${version}`;
  return decision(ctx, input, {
    phase: 'Promoting',
    weight,
    step: previous?.step,
    stepStartedAt: ctx.now.toISOString(),
    failedChecks: previous?.failedChecks ?? 0,
    message,
    lastAnalysis: previous?.lastAnalysis,
    events: [{ type: 'Normal', reason: 'Promoting', message: `${message}${note}` }],
    requeueAfterMs: ctx.spec.progressDeadlineSeconds * 1000,
  });
}

function promoting(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  const version = ctx.canary.model.version;
  const weight = requestedWeight(ctx, previous);
  if (input.stable.version === version && input.stable.available) {
    const message = promotedMessage(version);
    return decision(ctx, input, {
      ...carry(previous),
      phase: 'Promoted',
      weight: 0,
      message,
      events: [
        {
          type: 'Normal',
          reason: 'Promoted',
          message: `stable serves ${version}; set spec.model to the canary model and remove spec.canary so Git matches`,
        },
      ],
      requeueAfterMs: undefined,
    });
  }
  const started = parseTime(previous.stepStartedAt) ?? ctx.nowMs;
  const left = started + ctx.spec.progressDeadlineSeconds * 1000 - ctx.nowMs;
  if (left > 0) {
    return decision(ctx, input, {
      ...carry(previous),
      phase: 'Promoting',
      weight,
      message: previous.message ?? `promoting ${version}`,
      events: [],
      requeueAfterMs: left,
    });
  }
  const message = `promoting ${version}: the stable track has not become available with ${version} within ${ctx.spec.progressDeadlineSeconds}s; check the stable pods`;
  return decision(ctx, input, {
    ...carry(previous),
    phase: 'Promoting',
    weight,
    message,
    events:
      previous.message === message
        ? []
        : [{ type: 'Warning', reason: 'ProgressDeadlineExceeded', message }],
    requeueAfterMs: undefined,
    stalled: { reason: 'ProgressDeadlineExceeded', message },
  });
}

export function promotedMessage(version: string): string {
  return `promoted ${version}; set spec.model to the canary model and remove spec.canary so Git matches`;
}

function promoted(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  return decision(ctx, input, {
    ...carry(previous),
    phase: 'Promoted',
    weight: 0,
    message: promotedMessage(ctx.canary.model.version),
    events: [],
    requeueAfterMs: undefined,
  });
}

function toAborted(
  ctx: Context,
  input: RolloutInput,
  previous: CanaryStatus | undefined,
  reason: AbortReason,
  detail: string,
  failedChecks: number,
): RolloutDecision {
  const stable = ctx.spec.model.version;
  const message = `${reason}: ${detail}. All traffic is on stable ${stable}; change spec.canary.model (or its steps) to try again, or remove spec.canary`;
  return decision(ctx, input, {
    abortReason: reason,
    phase: 'Aborted',
    weight: 0,
    step: previous?.step,
    stepStartedAt: previous?.stepStartedAt,
    failedChecks,
    message,
    lastAnalysis: previous?.lastAnalysis,
    shadowGate: previous?.shadowGate,
    events: [
      {
        type: reason === 'AbortedByUser' ? 'Normal' : 'Warning',
        reason,
        message: `rollout of ${ctx.canary.model.version} aborted: ${detail}; all traffic on stable ${stable}`,
      },
    ],
    requeueAfterMs: undefined,
  });
}

function aborted(ctx: Context, input: RolloutInput, previous: CanaryStatus): RolloutDecision {
  // Stays aborted until the canary spec hash changes; abort/promote switches change nothing.
  return decision(ctx, input, {
    ...carry(previous),
    ...(abortReason(previous) !== undefined ? { abortReason: abortReason(previous) } : {}),
    phase: 'Aborted',
    weight: 0,
    message: previous.message ?? 'RolloutAborted: aborted',
    events: [],
    requeueAfterMs: undefined,
  });
}
