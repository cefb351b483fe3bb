import { createHash } from 'node:crypto';
import type { CanarySpec, ModelDeploymentSpec } from '../api/model-deployment-spec.js';
import type { AnalysisResult, CanaryPhase, CanaryStatus } from '../api/model-deployment-status.js';
import { NO_SAMPLES } from './analysis-queries.js';
import { ratioWeight, replicaSplit } from './replica-ratio.js';

/**
 * The canary rollout as a pure function: (spec, last status, what the cluster shows, the
 * latest analysis, the time) → (new status, what the children should look like, events).
 * All rollout state lives in status.canary, so an operator restart resumes exactly where
 * the previous process stopped. See docs/canary.md for the user-facing semantics.
 */

export interface CanaryObservation {
  /** Pods of the canary Deployment (0 when it does not exist). */
  replicas: number;
  /** Canary pods that passed readiness (the runtime runs golden requests before it is ready). */
  readyReplicas: number;
  /** The canary Deployment is rolled out to the current template and available. */
  available: boolean;
  /** Termination message of a canary pod whose golden check failed. */
  goldenFailure?: string;
  /** Reason when canary pods crash (CrashLoopBackOff, model download failed, …). */
  crashLoop?: string;
  /**
   * Added: version label of the canary pods counted above. When given and different from
   * spec.canary.model.version, the observation belongs to an earlier candidate and is ignored.
   */
  version?: string;
}

export interface StableObservation {
  /** Version label of the stable pods that are updated and ready. */
  version: string | undefined;
  available: boolean;
}

export interface RolloutInput {
  spec: ModelDeploymentSpec;
  previous: CanaryStatus | undefined;
  canary: CanaryObservation;
  stable: StableObservation;
  /** Measured in this reconcile, if analysisDue said so. */
  analysis: AnalysisResult | undefined;
  now: Date;
  /**
   * Added: pods the stable track runs without a canary (router replicaRatio splits these).
   * Default: spec.replicas, or spec.autoscaling.minReplicas when autoscaling is set; pass the
   * HPA's current replica count for a better split.
   */
  totalReplicas?: number;
}

export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ConditionHint {
  reason: string;
  message: string;
}

export interface StableModel {
  version: string;
  uri: string;
  sha256?: string;
}

export interface RolloutDecision {
  /** New status.canary; undefined = no rollout, clear it. */
  status: CanaryStatus | undefined;
  /** 0–100 traffic to the canary (gatewayAPI: the HTTPRoute weight). */
  canaryWeight: number;
  /** Replicas of the canary Deployment (0 when aborted or promoted). */
  canaryReplicas: number;
  /**
   * Added: replicas of the stable Deployment while router replicaRatio gives the canary a
   * share; undefined = the usual count (spec.replicas or the HPA).
   */
  stableReplicas: number | undefined;
  /** false = the canary Deployment/Service should not exist. */
  runCanary: boolean;
  /** What the stable Deployment serves (the canary's model once promoting). */
  stableModel: StableModel;
  /** Only on transitions. */
  events: RolloutEvent[];
  /** When the next step, analysis or deadline is due; undefined = wait for a watch event. */
  requeueAfterMs: number | undefined;
  /**
   * Present = that condition is True with this reason and message; absent = False.
   * progressing → Progressing=True and Reconciling=True; stalled → Stalled=True;
   * degraded → Degraded=True.
   */
  conditions: { degraded?: ConditionHint; progressing?: ConditionHint; stalled?: ConditionHint };
}

/** Shortest requeue we ask for, so a pause of 0 s does not spin the work queue. */
export const MIN_REQUEUE_MS = 1000;

/** Reasons an Aborted rollout carries (the first word of status.canary.message). */
export type AbortReason = 'GoldenCheckFailed' | 'CanaryFailed' | 'RolloutAborted' | 'AbortedByUser';
const abortReasons: readonly AbortReason[] = [
  'GoldenCheckFailed',
  'CanaryFailed',
  'RolloutAborted',
  'AbortedByUser',
];

/**
 * Stable hash of what a rollout is about: the candidate model and the steps. Thresholds,
 * replicas, golden requests and the promote/abort switches are not part of it, so editing
 * them steers the running rollout instead of starting a new one.
 */
export function canarySpecHash(canary: CanarySpec): string {
  const identity = {
    model: {
      version: canary.model.version,
      uri: canary.model.uri,
      sha256: canary.model.sha256 ?? '',
    },
    steps: canary.steps.map((s) => [s.weight, s.pauseSeconds]),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16);
}

/** The reason an Aborted status was written with (encoded as the message prefix). */
export function abortReason(status: CanaryStatus | undefined): AbortReason | undefined {
  if (status?.phase !== 'Aborted') return undefined;
  const word = /^([A-Za-z]+):/.exec(status.message ?? '')?.[1];
  return abortReasons.find((r) => r === word) ?? 'RolloutAborted';
}

interface Context {
  spec: ModelDeploymentSpec;
  canary: CanarySpec;
  hash: string;
  now: Date;
  nowMs: number;
  total: number;
}

const parseTime = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
};

function stableSpecModel(spec: ModelDeploymentSpec): StableModel {
  const { version, uri, sha256 } = spec.model;
  return sha256 === undefined ? { version, uri } : { version, uri, sha256 };
}

function canaryModel(canary: CanarySpec): StableModel {
  const { version, uri, sha256 } = canary.model;
  return sha256 === undefined ? { version, uri } : { version, uri, sha256 };
}

/** Drops undefined fields so equal states compare equal (the controller writes on change). */
function compact(status: CanaryStatus): CanaryStatus {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(status)) if (value !== undefined) out[key] = value;
  return out as CanaryStatus;
}

function totalReplicas(input: RolloutInput): number {
  if (input.totalReplicas !== undefined) return input.totalReplicas;
  return input.spec.autoscaling?.minReplicas ?? input.spec.replicas;
}

interface Traffic {
  canaryWeight: number;
  canaryReplicas: number;
  stableReplicas: number | undefined;
  runCanary: boolean;
  /** What status.canary.weight reports. */
  effectiveWeight: number;
}

const NO_CANARY: Traffic = {
  canaryWeight: 0,
  canaryReplicas: 0,
  stableReplicas: undefined,
  runCanary: false,
  effectiveWeight: 0,
};

/** Pods and weights for a phase at a requested weight. */
function trafficFor(ctx: Context, phase: CanaryPhase, weight: number): Traffic {
  const router = ctx.spec.traffic?.router ?? 'replicaRatio';
  const fixed = ctx.canary.replicas;
  if (phase === 'Aborted' || phase === 'Promoted') return NO_CANARY;
  if (phase === 'Promoting' && weight === 0) return NO_CANARY;
  if (phase === 'Verifying' || phase === 'Pending') {
    // Start as many pods as the first step needs; no traffic share is asked for yet.
    const first = ctx.canary.steps[0]?.weight ?? 0;
    const pods =
      fixed ?? (router === 'replicaRatio' ? Math.max(1, replicaSplit(ctx.total, first).canary) : 1);
    return { ...NO_CANARY, canaryReplicas: pods, runCanary: true };
  }
  if (router === 'gatewayAPI') {
    return {
      canaryWeight: weight,
      canaryReplicas: fixed ?? 1,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: weight,
    };
  }
  if (weight === 0) {
    // A weight-0 step keeps canary pods warm; in a shared Service they still get a share.
    const pods = fixed ?? 1;
    return {
      canaryWeight: 0,
      canaryReplicas: pods,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: ratioWeight(ctx.total, pods),
    };
  }
  const split = replicaSplit(ctx.total, weight);
  const pods = fixed ?? split.canary;
  if (phase === 'Promoting') {
    // The stable track is being switched to the candidate: give it its full count back, so
    // it is judged available with real pods (never 0 after a 100% step) before the canary
    // goes away. The canary keeps its pods meanwhile.
    return {
      canaryWeight: weight,
      canaryReplicas: pods,
      stableReplicas: undefined,
      runCanary: true,
      effectiveWeight: ratioWeight(ctx.total, pods),
    };
  }
  return {
    canaryWeight: weight,
    canaryReplicas: pods,
    stableReplicas: split.stable,
    runCanary: true,
    effectiveWeight: ratioWeight(split.stable, pods),
  };
}

interface Outcome {
  phase: CanaryPhase;
  /** Requested canary weight. */
  weight: number;
  step: number | undefined;
  stepStartedAt: string | undefined;
  failedChecks: number;
  message: string;
  lastAnalysis: AnalysisResult | undefined;
  events: RolloutEvent[];
  requeueAfterMs: number | undefined;
  stalled?: ConditionHint;
}

function decision(ctx: Context, input: RolloutInput, o: Outcome): RolloutDecision {
  const traffic = trafficFor(ctx, o.phase, o.weight);
  const status = compact({
    version: ctx.canary.model.version,
    replicas: input.canary.replicas,
    readyReplicas: input.canary.readyReplicas,
    weight: traffic.effectiveWeight,
    phase: o.phase,
    step: o.step,
    stepStartedAt: o.stepStartedAt,
    failedChecks: o.failedChecks,
    specHash: ctx.hash,
    message: o.message,
    lastAnalysis: o.lastAnalysis,
  });
  const promoting = o.phase === 'Promoting' || o.phase === 'Promoted';
  const conditions: RolloutDecision['conditions'] = {};
  if (o.phase === 'Verifying' || o.phase === 'Progressing' || o.phase === 'Promoting') {
    conditions.progressing = { reason: `Canary${o.phase}`, message: o.message };
  }
  const reason = abortReason(status);
  if (reason !== undefined && reason !== 'AbortedByUser') {
    conditions.degraded = { reason, message: o.message };
    conditions.stalled = { reason, message: o.message };
  }
  if (o.stalled) conditions.stalled = o.stalled;
  return {
    status,
    canaryWeight: traffic.canaryWeight,
    canaryReplicas: traffic.canaryReplicas,
    stableReplicas: traffic.stableReplicas,
    runCanary: traffic.runCanary,
    stableModel: promoting ? canaryModel(ctx.canary) : stableSpecModel(ctx.spec),
    events: o.events,
    requeueAfterMs:
      o.requeueAfterMs === undefined ? undefined : Math.max(MIN_REQUEUE_MS, o.requeueAfterMs),
    conditions,
  };
}

/** The decision when no rollout is wanted: stable serves spec.model, no canary. */
function noRollout(spec: ModelDeploymentSpec, events: RolloutEvent[]): RolloutDecision {
  return {
    status: undefined,
    ...pickTraffic(NO_CANARY),
    stableModel: stableSpecModel(spec),
    events,
    requeueAfterMs: undefined,
    conditions: {},
  };
}

function pickTraffic(t: Traffic) {
  return {
    canaryWeight: t.canaryWeight,
    canaryReplicas: t.canaryReplicas,
    stableReplicas: t.stableReplicas,
    runCanary: t.runCanary,
  };
}

const stepLabel = (ctx: Context, step: number) =>
  `step ${step + 1}/${ctx.canary.steps.length} (${ctx.canary.steps[step]?.weight ?? 0}% of traffic)`;

function analysisConfigured(canary: CanarySpec): boolean {
  return canary.analysis?.prometheusUrl !== undefined;
}

/** Whether the current step needs a passing analysis before it may advance. */
function stepNeedsAnalysis(canary: CanarySpec, step: number): boolean {
  return analysisConfigured(canary) && (canary.steps[step]?.weight ?? 0) > 0;
}

/** Time of the next analysis for a Progressing status, in ms since the epoch. */
function nextAnalysisAt(canary: CanarySpec, status: CanaryStatus): number | undefined {
  const step = status.step ?? 0;
  if (!stepNeedsAnalysis(canary, step)) return undefined;
  const interval = (canary.analysis?.intervalSeconds ?? 30) * 1000;
  const stepStart = parseTime(status.stepStartedAt) ?? 0;
  const last = parseTime(status.lastAnalysis?.time) ?? 0;
  return Math.max(stepStart, last) + interval;
}

/** The observation describes the current candidate (not pods of an earlier one). */
function currentObservation(ctx: Context, obs: CanaryObservation): CanaryObservation {
  if (obs.version !== undefined && obs.version !== ctx.canary.model.version) {
    return { replicas: obs.replicas, readyReplicas: 0, available: false };
  }
  return obs;
}

/**
 * Whether the controller should measure the canary in this reconcile (then it passes the
 * result as `analysis`). True while Progressing at a step with traffic, with the canary
 * available, once intervalSeconds have passed since the step began and since the last check.
 */
export function analysisDue(input: Omit<RolloutInput, 'analysis'>): boolean {
  const { spec, previous } = input;
  const canary = spec.canary;
  if (spec.paused || canary === undefined || previous === undefined) return false;
  if (canary.abort || canary.promote) return false;
  if (previous.specHash !== canarySpecHash(canary) || previous.phase !== 'Progressing')
    return false;
  const obs = input.canary;
  if (!obs.available || obs.goldenFailure !== undefined || obs.crashLoop !== undefined)
    return false;
  if (obs.version !== undefined && obs.version !== canary.model.version) return false;
  const due = nextAnalysisAt(canary, previous);
  return due !== undefined && input.now.getTime() >= due;
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
  };
  const sameRollout =
    previous !== undefined && previous.specHash === ctx.hash && previous.phase !== undefined;

  if (spec.paused) return paused(ctx, input, sameRollout ? previous : undefined);
  if (!sameRollout || previous.phase === 'Pending') return start(ctx, input, previous);

  switch (previous.phase) {
    case 'Verifying':
      return verifying(ctx, input, previous);
    case 'Progressing':
      return progressing(ctx, input, previous);
    case 'Promoting':
      return promoting(ctx, input, previous);
    case 'Promoted':
      return promoted(ctx, input, previous);
    default:
      return aborted(ctx, input, previous);
  }
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

/** The weight the previous status asked for (status.weight is the effective one). */
function requestedWeight(ctx: Context, previous: CanaryStatus): number {
  if (previous.phase === 'Progressing') return ctx.canary.steps[previous.step ?? 0]?.weight ?? 0;
  if (previous.phase === 'Promoting') {
    return previous.step === undefined ? 0 : (ctx.canary.steps[previous.step]?.weight ?? 0);
  }
  return 0;
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
  if (ctx.canary.abort) {
    return toAborted(ctx, input, undefined, 'AbortedByUser', 'spec.canary.abort is true', 0);
  }
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, undefined, 0, 'spec.canary.promote is true', superseded);
  }
  const deadline = ctx.spec.progressDeadlineSeconds * 1000;
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
  if (ctx.canary.abort) {
    return toAborted(ctx, input, previous, 'AbortedByUser', 'spec.canary.abort is true', 0);
  }
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, previous, 0, 'spec.canary.promote is true', '');
  }
  const obs = currentObservation(ctx, input.canary);
  const broken = canaryBroken(ctx, input, previous, obs);
  if (broken) return broken;
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

function carry(previous: CanaryStatus) {
  return {
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
  if (ctx.canary.abort) {
    return toAborted(
      ctx,
      input,
      previous,
      'AbortedByUser',
      'spec.canary.abort is true',
      failedBefore,
    );
  }
  if (ctx.canary.promote) {
    return toPromoting(ctx, input, previous, weight, 'spec.canary.promote is true', '');
  }
  const obs = currentObservation(ctx, input.canary);
  const broken = canaryBroken(ctx, input, previous, obs);
  if (broken) return broken;

  // Record this reconcile's analysis (only the rollout's own analysis counts).
  const needsAnalysis = stepNeedsAnalysis(ctx.canary, step);
  const result = analysisConfigured(ctx.canary) ? input.analysis : undefined;
  const lastAnalysis = result ?? previous.lastAnalysis;
  let failedChecks = failedBefore;
  const events: RolloutEvent[] = [];
  if (result?.verdict === 'Fail') {
    failedChecks += 1;
    const limit = ctx.canary.analysis?.failureLimit ?? 2;
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
  if (!obs.available) {
    message = `${stepLabel(ctx, step)}: waiting for the canary to be available (${obs.readyReplicas}/${obs.replicas} pods ready)`;
  } else if (lastAnalysis?.verdict === 'Inconclusive' && needsAnalysis) {
    message = `${stepLabel(ctx, step)}: waiting: ${
      lastAnalysis.message.startsWith(NO_SAMPLES) ? NO_SAMPLES : lastAnalysis.message
    }`;
  } else if (lastAnalysis?.verdict === 'Fail' && needsAnalysis && result !== undefined) {
    message = `${stepLabel(ctx, step)}: analysis failed (${failedChecks}/${ctx.canary.analysis?.failureLimit ?? 2}): ${lastAnalysis.message}`;
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
    message,
    lastAnalysis,
    events,
    requeueAfterMs: waits.length === 0 ? undefined : Math.min(...waits),
  });
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
  if (ctx.canary.abort) {
    return toAborted(
      ctx,
      input,
      previous,
      'AbortedByUser',
      'spec.canary.abort is true',
      previous.failedChecks ?? 0,
    );
  }
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
  if (ctx.canary.abort) {
    // Rolling back a promotion Git never recorded: stable returns to spec.model.
    return toAborted(
      ctx,
      input,
      previous,
      'AbortedByUser',
      'spec.canary.abort is true after promotion',
      previous.failedChecks ?? 0,
    );
  }
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
    phase: 'Aborted',
    weight: 0,
    step: previous?.step,
    stepStartedAt: previous?.stepStartedAt,
    failedChecks,
    message,
    lastAnalysis: previous?.lastAnalysis,
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
    phase: 'Aborted',
    weight: 0,
    message: previous.message ?? 'RolloutAborted: aborted',
    events: [],
    requeueAfterMs: undefined,
  });
}
