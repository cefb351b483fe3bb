import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildGrpcRoute } from './grpcroute.js';
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

const pin = (value: string) => [
  { headers: [{ type: 'Exact', name: 'x-modeldeploy-track', value }] },
];

describe('buildGrpcRoute', () => {
  it('is undefined for replicaRatio and without spec.traffic', () => {
    expect(buildGrpcRoute(modelDeployment({}), 10, true)).toBeUndefined();
    expect(
      buildGrpcRoute(modelDeployment({ traffic: { router: 'replicaRatio' } }), 10, true),
    ).toBeUndefined();
  });

  it('splits gRPC between the track Services on their grpc port by the canary weight', () => {
    const route = buildGrpcRoute(gatewayMd({ canary, service: { port: 8000 } }), 25, true);
    expect(route?.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route?.kind).toBe('GRPCRoute');
    expect(route?.metadata).toMatchObject({ name: 'ranker', namespace: 'ml' });
    expect(route?.metadata.ownerReferences?.[0]).toMatchObject({ uid: 'uid-1', controller: true });
    expect(route?.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'inference' }],
      hostnames: ['ranker.example.com'],
      rules: [
        {
          matches: pin('canary'),
          backendRefs: [{ name: 'ranker-canary', port: 8081, weight: 100 }],
        },
        {
          matches: pin('stable'),
          backendRefs: [{ name: 'ranker-stable', port: 8081, weight: 100 }],
        },
        {
          backendRefs: [
            { name: 'ranker-stable', port: 8081, weight: 75 },
            { name: 'ranker-canary', port: 8081, weight: 25 },
          ],
        },
      ],
    });
  });

  it('carries the same parents, hostnames and weights as the HTTPRoute at every weight', () => {
    const md = gatewayMd({ canary }, { name: 'shared', namespace: 'gw', sectionName: 'grpc' });
    for (const [weight, running] of [
      [0, true],
      [10, true],
      [55.4, true],
      [100, true],
      [30, false],
    ] as const) {
      const grpc = buildGrpcRoute(md, weight, running);
      const http = buildHttpRoute(md, weight, running);
      expect(grpc?.spec.parentRefs).toEqual(http?.spec.parentRefs);
      expect(grpc?.spec.hostnames).toEqual(http?.spec.hostnames);
      const split = (rules: { backendRefs?: { name: string; weight?: number }[] }[] = []) =>
        rules.map((r) => r.backendRefs?.map((b) => [b.name, b.weight]));
      expect(split(grpc?.spec.rules)).toEqual(split(http?.spec.rules));
    }
  });

  it('names no canary Service once the canary is gone (promoted or aborted)', () => {
    const route = buildGrpcRoute(gatewayMd({ canary }), 0, false);
    expect(route?.spec.rules).toEqual([
      { backendRefs: [{ name: 'ranker-stable', port: 8081, weight: 100 }] },
    ]);
    expect(JSON.stringify(route)).not.toContain('ranker-canary');
  });

  it('leaves hostnames out when the spec has none', () => {
    const md = modelDeployment({
      traffic: { router: 'gatewayAPI', gatewayRef: { name: 'inference' } },
    });
    expect(buildGrpcRoute(md, 0, false)?.spec).not.toHaveProperty('hostnames');
  });
});
