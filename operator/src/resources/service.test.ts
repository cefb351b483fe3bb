import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildService } from './service.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

const canary = { model: { version: 'v2', uri: 'https://models.example/m2.onnx' } };
const gatewayTraffic = { router: 'gatewayAPI', gatewayRef: { name: 'inference' } };

describe('buildService', () => {
  it('builds the main Service on port 80 targeting the runtime port by name', () => {
    const s = buildService(modelDeployment({}), 'main');
    expect(s.apiVersion).toBe('v1');
    expect(s.kind).toBe('Service');
    expect(s.metadata).toMatchObject({ name: 'scorer', namespace: 'ml' });
    expect(s.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'ModelDeployment',
      uid: 'uid-1',
      controller: true,
    });
    expect(s.metadata?.labels).toMatchObject({ 'app.kubernetes.io/instance': 'scorer' });
    expect(s.spec).toEqual({
      type: 'ClusterIP',
      selector: {
        'app.kubernetes.io/name': 'modeldeploy-runtime',
        'app.kubernetes.io/instance': 'scorer',
      },
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'grpc', port: 8081, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' },
      ],
    });
  });

  it('selects both tracks for replicaRatio, so the canary gets traffic by its pod share', () => {
    const md = modelDeployment({ canary, traffic: { router: 'replicaRatio' } });
    expect(buildService(md, 'main').spec?.selector).not.toHaveProperty(['modeldeploy.io/track']);
  });

  it('selects only the stable track for gatewayAPI, where the HTTPRoute splits traffic', () => {
    const md = modelDeployment({ canary, traffic: gatewayTraffic });
    expect(buildService(md, 'main').spec?.selector).toMatchObject({
      'modeldeploy.io/track': 'stable',
    });
  });

  it('builds per-track Services named <name>-<track> that select their track', () => {
    const md = modelDeployment({ canary, traffic: gatewayTraffic });
    for (const track of ['stable', 'canary'] as const) {
      const s = buildService(md, track);
      expect(s.metadata?.name).toBe(`scorer-${track}`);
      expect(s.spec?.selector?.['modeldeploy.io/track']).toBe(track);
      expect(s.metadata?.labels?.['modeldeploy.io/track']).toBe(track);
    }
  });

  it('applies type, port and annotations from spec.service to the main Service only', () => {
    const md = modelDeployment({
      service: { type: 'LoadBalancer', port: 9000, annotations: { 'example.com/lb': 'internal' } },
    });
    const main = buildService(md, 'main');
    expect(main.spec?.type).toBe('LoadBalancer');
    expect(main.spec?.ports?.[0]?.port).toBe(9000);
    expect(main.metadata?.annotations).toEqual({ 'example.com/lb': 'internal' });
    const track = buildService(md, 'stable');
    expect(track.spec?.ports?.[0]?.port).toBe(9000);
    expect(track.spec).not.toHaveProperty('type');
    expect(track.metadata).not.toHaveProperty('annotations');
  });

  it('gives every Service the V2 gRPC port, named grpc with appProtocol grpc', () => {
    const md = modelDeployment({ canary, traffic: gatewayTraffic, service: { port: 9000 } });
    for (const kind of ['main', 'stable', 'canary'] as const) {
      expect(buildService(md, kind).spec?.ports?.[1], kind).toEqual({
        name: 'grpc',
        port: 8081,
        targetPort: 'grpc',
        protocol: 'TCP',
        appProtocol: 'grpc',
      });
    }
  });
});
