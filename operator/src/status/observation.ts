import type { CanaryStatus } from '../api/model-deployment-status.js';
import type { StorageFailureReason } from './storage-failure.js';

/** What the operator saw of one runtime Deployment, reduced to what status needs. */
export interface DeploymentObservation {
  generation: number;
  observedGeneration: number;
  /** Desired pods (spec.replicas of the Deployment). */
  desired: number;
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  available: boolean;
  /** True when the Deployment controller gave up (Progressing=False, ProgressDeadlineExceeded). */
  deadlineExceeded: boolean;
  /** Model version on the pod template. */
  version: string | undefined;
}

/** A reason runtime pods cannot serve, read from their container statuses. */
export interface PodProblem {
  reason: 'ModelLoadFailed' | 'GoldenCheckFailed' | StorageFailureReason;
  message: string;
}

export interface AutoscalerObservation {
  currentValue: string | undefined;
  desiredReplicas: number | undefined;
  /** Why the HPA cannot read its metric, from its ScalingActive condition. */
  metricUnavailable: string | undefined;
}

/** What the parent Gateway reports about the HTTPRoute (status.parents[].conditions). */
export interface RouteObservation {
  accepted: 'True' | 'False' | 'Unknown';
  resolvedRefs: 'True' | 'False' | 'Unknown';
  message: string;
}

/** One look at a ModelDeployment's children, taken once per reconcile and shared by every decision. */
export interface ChildObservation {
  stable: DeploymentObservation | undefined;
  canary: DeploymentObservation | undefined;
  /** The shadow track's Deployment, when spec.shadow asks for one (status.shadow). */
  shadow?: DeploymentObservation | undefined;
  stableProblem: PodProblem | undefined;
  canaryProblem: PodProblem | undefined;
  /** Why shadow pods cannot serve (the shadow gate aborts on it). */
  shadowProblem?: PodProblem | undefined;
  autoscaler: AutoscalerObservation | undefined;
  /** Only under router gatewayAPI; undefined there until the route exists. */
  route: RouteObservation | undefined;
}

/** A reconcile that the API server keeps refusing, as status reports it. */
export interface ReconcileFailure {
  reason: string;
  message: string;
  /** Nothing improves until someone changes RBAC, the spec or the cluster (Stalled). */
  permanent: boolean;
}

/** A child that exists under our name but is controlled by something else. */
export interface ChildConflict {
  kind: string;
  name: string;
  owner: string;
}

export interface Observed extends ChildObservation {
  missingSecrets: string[];
  /** Children the API server refused to apply (422/400), with its message. */
  rejected: { kind: string; name: string; message: string }[];
  conflicts: ChildConflict[];
  failure: ReconcileFailure | undefined;
  /** router gatewayAPI, but the cluster serves no HTTPRoute API (Gateway API CRDs missing). */
  gatewayApiMissing: boolean;
}

/** Rollout-derived conditions and track figures, from the rollout decision. */
export interface RolloutSummary {
  canary: CanaryStatus | undefined;
  stableVersion: string;
  stableWeight: number;
  degraded?: { reason: string; message: string };
  progressing?: { reason: string; message: string };
  stalled?: { reason: string; message: string };
}
