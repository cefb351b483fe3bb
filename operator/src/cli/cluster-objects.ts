import type { ModelDeploymentStatus } from '../api/model-deployment-status.js';

/*
 * The shapes the plugin reads, as the API server returns them: spec fields are not
 * defaulted here (the operator defaults them), so everything the plugin shows that the
 * user may have left out is optional.
 */

export interface ObjectMetaLite {
  name: string;
  namespace?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CanarySpecLite {
  model: { version: string };
  steps?: { weight: number; pauseSeconds?: number }[];
  promote?: boolean;
  abort?: boolean;
  analysis?: { prometheusUrl?: string };
}

export interface ModelDeploymentObject {
  metadata: ObjectMetaLite;
  spec: {
    model: { version: string; name?: string };
    replicas?: number;
    paused?: boolean;
    canary?: CanarySpecLite;
    autoscaling?: { minReplicas?: number; maxReplicas: number; metric?: string };
  };
  status?: ModelDeploymentStatus;
}

export interface DeploymentObject {
  metadata: ObjectMetaLite;
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number; updatedReplicas?: number };
}

interface MetricValue {
  averageValue?: string;
  averageUtilization?: number;
  value?: string;
}

/** One entry of an autoscaling/v2 HPA's spec.metrics or status.currentMetrics. */
export interface HpaMetric {
  type: string;
  pods?: { metric: { name: string }; target?: MetricValue; current?: MetricValue };
  resource?: { name: string; target?: MetricValue; current?: MetricValue };
}

export interface HpaObject {
  metadata: ObjectMetaLite;
  spec: { minReplicas?: number; maxReplicas: number; metrics?: HpaMetric[] };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: HpaMetric[] | null;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** Everything `get` shows, fetched in one go. */
export interface Snapshot {
  md: ModelDeploymentObject;
  stable?: DeploymentObject;
  canary?: DeploymentObject;
  hpa?: HpaObject;
}
