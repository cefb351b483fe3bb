import type { CanarySpec, ModelDeploymentSpec } from '../api/model-deployment-spec.js';
import type { AnalysisResult, CanaryStatus } from '../api/model-deployment-status.js';

/**
 * The canary rollout as a pure function: (spec, last status, what the cluster shows, the
 * latest analysis, the time) → (new status, what the children should look like, events).
 * All rollout state lives in status.canary, so an operator restart resumes exactly where
 * the previous process stopped. See docs/canary.md for the user-facing semantics. This file
 * holds the shapes going in and out; traffic.ts the arithmetic, schedule.ts the timing,
 * state.ts the phase transitions.
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
   * Version label of the canary pods counted above. When given and different from
   * spec.canary.model.version, the observation belongs to an earlier candidate and is ignored.
   */
  version?: string;
}

export interface StableObservation {
  /** Version label of the stable pods once the Deployment has rolled them completely. */
  version: string | undefined;
  available: boolean;
  /** spec.replicas of the live stable Deployment (the HPA's count when one owns it). */
  replicas?: number;
  /** Stable pods that passed readiness: with the canary's, the real traffic share. */
  readyReplicas?: number;
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
   * Pods the stable track runs without a canary (router replicaRatio splits these).
   * Default: spec.replicas, or spec.autoscaling.minReplicas when autoscaling is set; pass the
   * HPA's current replica count for a better split.
   */
  totalReplicas?: number;
  /**
   * Under router gatewayAPI: why traffic cannot reach the tracks through the HTTPRoute (not
   * Accepted by its Gateway, backends unresolved, no report yet, no Gateway API). The rollout
   * holds its step and runs no analysis meanwhile; undefined when the route serves.
   */
  routeBlocked?: string | undefined;
  /**
   * spec.canary.analysis.prometheusUrl is not in the operator's allow-list: the message says
   * so. No query is sent; a step that needs analysis holds with Stalled=PrometheusUrlNotAllowed.
   */
  analysisRefused?: string | undefined;
  /**
   * The shadow track while spec.canary.shadow is set: the candidate's pods during the gate
   * (goldenFailure is never set: shadow pods run no golden requests).
   */
  shadowTrack?: CanaryObservation | undefined;
  /** The gate's comparisons, read in this reconcile if shadowGateDue said so. */
  shadowGate?: ShadowGateReading | undefined;
  /** The gate's Prometheus URL is not in the operator's allow-list: the message says so. */
  shadowGateRefused?: string | undefined;
}

/** What Prometheus showed of the gate's comparisons, since the gate started. */
export interface ShadowGateReading {
  measuredAt: string;
  /** Absent when Prometheus could not be read (then `message` says why). */
  compared?: number;
  /** Absent when nothing was compared. */
  disagreementRate?: number;
  /** Why figures are missing (no comparisons, Prometheus unreachable). */
  message?: string;
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
   * Replicas of the stable Deployment while router replicaRatio gives the canary a
   * share; undefined = the usual count (spec.replicas or the HPA).
   */
  stableReplicas: number | undefined;
  /** false = the canary Deployment/Service should not exist. */
  runCanary: boolean;
  /** What the stable Deployment serves (the canary's model once promoting). */
  stableModel: StableModel;
  /**
   * The shadow gate runs: the shadow track serves the candidate and the stable pods mirror
   * to it (spec.canary.shadow, phase Shadowing).
   */
  shadowCandidate: boolean;
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

export interface Context {
  spec: ModelDeploymentSpec;
  canary: CanarySpec;
  hash: string;
  now: Date;
  nowMs: number;
  /** Stable pods the split is computed from: spec.replicas, or the live count under an HPA. */
  total: number;
  /** An HPA owns the stable count: canary pods are added beside it instead of taken from it. */
  autoscaled: boolean;
  /** Most canary pods to run (spec.autoscaling.maxReplicas under an HPA). */
  maxCanary: number;
}
