import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildHpa, INFLIGHT_METRIC, LATENCY_METRIC, millisecondsToQuantity } from './hpa.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

describe('buildHpa', () => {
  it('is undefined without spec.autoscaling', () => {
    expect(buildHpa(modelDeployment({}))).toBeUndefined();
  });

  it('scales the stable Deployment on per-pod p95 latency in seconds', () => {
    const hpa = buildHpa(
      modelDeployment({
        autoscaling: {
          minReplicas: 2,
          maxReplicas: 6,
          targetLatencyMs: 50,
          scaleDownStabilizationSeconds: 120,
        },
      }),
    );
    expect(hpa?.apiVersion).toBe('autoscaling/v2');
    expect(hpa?.kind).toBe('HorizontalPodAutoscaler');
    expect(hpa?.metadata).toMatchObject({ name: 'scorer', namespace: 'ml' });
    expect(hpa?.metadata?.ownerReferences?.[0]).toMatchObject({ uid: 'uid-1', controller: true });
    expect(hpa?.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scorer' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        {
          type: 'Pods',
          pods: {
            metric: { name: 'modeldeploy_request_duration_seconds_p95' },
            target: { type: 'AverageValue', averageValue: '50m' },
          },
        },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 120 } },
    });
  });

  it('scales on in-flight requests per pod', () => {
    const hpa = buildHpa(
      modelDeployment({ autoscaling: { maxReplicas: 3, metric: 'inflight', targetInflight: 8 } }),
    );
    expect(hpa?.spec?.minReplicas).toBe(1);
    expect(hpa?.spec?.metrics).toEqual([
      {
        type: 'Pods',
        pods: {
          metric: { name: INFLIGHT_METRIC },
          target: { type: 'AverageValue', averageValue: '8' },
        },
      },
    ]);
    expect(hpa?.spec?.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(300);
  });

  it('scales on CPU utilization of requests', () => {
    const hpa = buildHpa(
      modelDeployment({
        autoscaling: { maxReplicas: 3, metric: 'cpu', targetCPUUtilization: 70 },
      }),
    );
    expect(hpa?.spec?.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
  });

  it('exports the metric names the prometheus-adapter rules must produce', () => {
    expect(LATENCY_METRIC).toBe('modeldeploy_request_duration_seconds_p95');
    expect(INFLIGHT_METRIC).toBe('modeldeploy_inflight_requests');
  });
});

describe('millisecondsToQuantity', () => {
  it.each([
    [50, '50m'],
    [1, '1m'],
    [1500, '1500m'],
    [1000, '1'],
    [3000, '3'],
  ])('%i ms is %s seconds in the canonical form the API server stores', (ms, quantity) => {
    expect(millisecondsToQuantity(ms)).toBe(quantity);
  });
});
