import type { V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import type { AutoscalingSpec } from '../api/model-deployment-spec.js';
import { commonLabels } from './labels.js';
import { deploymentName, singletonName } from './names.js';
import { childMetadata } from './owner.js';

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;

/**
 * Pods metrics the HPA reads through custom.metrics.k8s.io. The Helm chart's
 * prometheus-adapter rules must publish exactly these names, so both sides import them.
 */
export const LATENCY_METRIC = 'modeldeploy_request_duration_seconds_p95';
export const INFLIGHT_METRIC = 'modeldeploy_inflight_requests';

/**
 * Milliseconds as a Kubernetes quantity in seconds, in the canonical form the API server
 * stores ("50m", "1500m", "2"), so a re-read HPA compares equal to what we built.
 */
export function millisecondsToQuantity(ms: number): string {
  return ms % 1000 === 0 ? String(ms / 1000) : `${ms}m`;
}

function podsMetric(name: string, averageValue: string): V2MetricSpec {
  return {
    type: 'Pods',
    pods: { metric: { name }, target: { type: 'AverageValue', averageValue } },
  };
}

/** The schema's CEL rules guarantee the target of the chosen metric is set. */
function requireTarget(value: number | undefined, field: string): number {
  if (value === undefined) throw new Error(`spec.autoscaling.${field} is required by its metric`);
  return value;
}

function metricSpec(autoscaling: AutoscalingSpec): V2MetricSpec {
  switch (autoscaling.metric) {
    case 'latencyP95': {
      const ms = requireTarget(autoscaling.targetLatencyMs, 'targetLatencyMs');
      return podsMetric(LATENCY_METRIC, millisecondsToQuantity(ms));
    }
    case 'inflight': {
      const inflight = requireTarget(autoscaling.targetInflight, 'targetInflight');
      return podsMetric(INFLIGHT_METRIC, String(inflight));
    }
    case 'cpu': {
      const utilization = requireTarget(autoscaling.targetCPUUtilization, 'targetCPUUtilization');
      return {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: utilization } },
      };
    }
  }
}

/**
 * The HPA of the stable Deployment; undefined without spec.autoscaling, and then the
 * controller deletes any HPA it made before. The canary is sized by the rollout instead.
 */
export function buildHpa(md: Source): V2HorizontalPodAutoscaler | undefined {
  const autoscaling = md.spec.autoscaling;
  if (!autoscaling) return undefined;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(md, singletonName(md), commonLabels(md)),
    spec: {
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: deploymentName(md, 'stable'),
      },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [metricSpec(autoscaling)],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: autoscaling.scaleDownStabilizationSeconds },
      },
    },
  };
}
