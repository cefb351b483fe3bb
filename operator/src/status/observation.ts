import type { CanaryStatus } from '../api/model-deployment-status.js';

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
  reason: 'ModelLoadFailed' | 'GoldenCheckFailed';
  message: string;
}

export interface AutoscalerObservation {
  currentValue: string | undefined;
  desiredReplicas: number | undefined;
  /** Why the HPA cannot read its metric, from its ScalingActive condition. */
  metricUnavailable: string | undefined;
}

export interface Observed {
  stable: DeploymentObservation | undefined;
  canary: DeploymentObservation | undefined;
  stableProblem: PodProblem | undefined;
  missingSecrets: string[];
  /** Children the API server refused to apply (422/400), with its message. */
  rejected: { kind: string; name: string; message: string }[];
  autoscaler: AutoscalerObservation | undefined;
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
