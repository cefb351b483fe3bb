import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildHttpRoute } from './httproute.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'ranker', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

const canary = { model: { version: 'v2', uri: 'https://models.example/m2.onnx' } };

function gatewayMd(
  extra: Record<string, unknown> = {},
  gatewayRef: object = { name: 'inference' },
) {
  return modelDeployment({
    traffic: { router: 'gatewayAPI', gatewayRef, hostnames: ['ranker.example.com'] },
    ...extra,
  });
}

describe('buildHttpRoute', () => {
  it('is undefined for replicaRatio and without spec.traffic', () => {
    expect(buildHttpRoute(modelDeployment({}), 10, true)).toBeUndefined();
    expect(buildHttpRoute(modelDeployment({ traffic: { router: 'replicaRatio' } }), 10, true)).toBe(
      undefined,
    );
  });

  it('splits traffic between the track Services by the canary weight', () => {
    const route = buildHttpRoute(gatewayMd({ canary }), 25, true);
    expect(route?.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route?.kind).toBe('HTTPRoute');
    expect(route?.metadata).toMatchObject({ name: 'ranker', namespace: 'ml' });
    expect(route?.metadata.ownerReferences?.[0]).toMatchObject({ uid: 'uid-1', controller: true });
    expect(route?.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'inference' }],
      hostnames: ['ranker.example.com'],
      rules: [
        {
          matches: [{ headers: [{ type: 'Exact', name: 'x-modeldeploy-track', value: 'canary' }] }],
          backendRefs: [{ name: 'ranker-canary', port: 80, weight: 100 }],
        },
        {
          matches: [{ headers: [{ type: 'Exact', name: 'x-modeldeploy-track', value: 'stable' }] }],
          backendRefs: [{ name: 'ranker-stable', port: 80, weight: 100 }],
        },
        {
          backendRefs: [
            { name: 'ranker-stable', port: 80, weight: 75 },
            { name: 'ranker-canary', port: 80, weight: 25 },
          ],
        },
      ],
    });
  });

  it('names no canary Service once the canary is gone (promoted or aborted)', () => {
    const route = buildHttpRoute(gatewayMd({ canary }), 0, false);
    expect(route?.spec.rules).toEqual([
      { backendRefs: [{ name: 'ranker-stable', port: 80, weight: 100 }] },
    ]);
    expect(JSON.stringify(route)).not.toContain('ranker-canary');
  });

  it('sends everything to stable at weight 0 and keeps weights within 0–100', () => {
    const weights = (w: number) =>
      buildHttpRoute(gatewayMd({ canary }), w, true)?.spec.rules?.[2]?.backendRefs?.map(
        (b) => b.weight,
      );
    expect(weights(0)).toEqual([100, 0]);
    expect(weights(100)).toEqual([0, 100]);
    expect(weights(150)).toEqual([0, 100]);
    expect(weights(-5)).toEqual([100, 0]);
  });

  it('has only the stable backend without spec.canary', () => {
    const route = buildHttpRoute(gatewayMd({ service: { port: 8000 } }), 30, false);
    expect(route?.spec.rules?.[0]?.backendRefs).toEqual([
      { name: 'ranker-stable', port: 8000, weight: 100 },
    ]);
  });

  it('attaches to a Service parent with group "" in mesh mode', () => {
    const route = buildHttpRoute(
      gatewayMd({ canary }, { group: '', kind: 'Service', name: 'ranker', sectionName: 'http' }),
      10,
      true,
    );
    expect(route?.spec.parentRefs).toEqual([
      { group: '', kind: 'Service', name: 'ranker', sectionName: 'http' },
    ]);
  });

  it('copies the Gateway namespace and listener', () => {
    const route = buildHttpRoute(
      gatewayMd({}, { name: 'shared', namespace: 'gateways', sectionName: 'https' }),
      0,
      false,
    );
    expect(route?.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: 'shared',
        namespace: 'gateways',
        sectionName: 'https',
      },
    ]);
  });
});
