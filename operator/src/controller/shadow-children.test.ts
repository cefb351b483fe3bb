import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { decideRollout } from '../rollout/state.js';
import { desiredChildren, type DesiredChild } from './desired-children.js';

function md(spec: Record<string, unknown>): ModelDeployment {
  const r = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'u', generation: 1 },
    spec,
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

function children(resource: ModelDeployment): DesiredChild[] {
  const decision = decideRollout({
    spec: resource.spec,
    previous: undefined,
    canary: { replicas: 0, readyReplicas: 0, available: false },
    stable: { version: '1', available: true },
    analysis: undefined,
    now: new Date(),
  });
  return desiredChildren(resource, decision, { defaultImage: 'img' });
}

function deployment(all: DesiredChild[], name: string): V1Deployment | undefined {
  return all.find((c) => c.kind.kind === 'Deployment' && c.object.metadata.name === name)
    ?.object as V1Deployment | undefined;
}

function service(all: DesiredChild[], name: string): V1Service | undefined {
  return all.find((c) => c.kind.kind === 'Service' && c.object.metadata.name === name)?.object as
    V1Service | undefined;
}

function env(dep: V1Deployment | undefined): Record<string, string | undefined> {
  const vars = dep?.spec?.template.spec?.containers[0]?.env ?? [];
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

/** Whether a Service's selector picks a pod with these labels. */
function selects(svc: V1Service | undefined, labels: Record<string, string> | undefined): boolean {
  const selector = svc?.spec?.selector ?? {};
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

const model = { version: '1', uri: 'https://x/v1.onnx' };
const shadow = {
  model: { version: '2', uri: 'https://x/v2.onnx', sha256: 'c'.repeat(64) },
  percent: 25,
  replicas: 2,
  tolerance: 0.001,
  resources: { requests: { cpu: '250m' }, limits: { memory: '1Gi' } },
};

describe('the shadow track', () => {
  it('runs spec.shadow.model in its own Deployment with its own replicas and resources', () => {
    const dep = deployment(children(md({ model, shadow })), 'scorer-shadow');
    expect(dep?.spec?.replicas).toBe(2);
    expect(dep?.metadata?.labels).toMatchObject({
      'modeldeploy.io/track': 'shadow',
      'app.kubernetes.io/version': '2',
      'app.kubernetes.io/instance': 'scorer',
    });
    expect(dep?.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '250m' },
      limits: { memory: '1Gi' },
    });
    expect(env(dep)).toMatchObject({
      MODEL_URI: 'https://x/v2.onnx',
      MODEL_VERSION: '2',
      MODEL_SHA256: 'c'.repeat(64),
      MODEL_TRACK: 'shadow',
    });
    expect(env(dep).SHADOW_TARGET_URL).toBeUndefined();
  });

  it('points the stable pods at the shadow Service, and only them', () => {
    const all = children(md({ model, shadow, service: { port: 8000 } }));
    expect(env(deployment(all, 'scorer'))).toMatchObject({
      SHADOW_TARGET_URL: 'http://scorer-shadow.ml.svc:8000',
      SHADOW_PERCENT: '25',
      SHADOW_TOLERANCE: '0.001',
    });
    const withCanary = children(
      md({ model, shadow, canary: { model: { version: '3', uri: 'https://x/v3.onnx' } } }),
    );
    expect(env(deployment(withCanary, 'scorer-canary')).SHADOW_TARGET_URL).toBeUndefined();
  });

  it('gets a Service of its own and none of the user-facing ones', () => {
    for (const router of ['replicaRatio', 'gatewayAPI'] as const) {
      const all = children(
        md({
          model,
          shadow,
          canary: { model: { version: '3', uri: 'https://x/v3.onnx' } },
          traffic: { router, gatewayRef: { name: 'gw' } },
        }),
      );
      const shadowPods = deployment(all, 'scorer-shadow')?.spec?.template.metadata?.labels;
      expect(selects(service(all, 'scorer-shadow'), shadowPods)).toBe(true);
      for (const name of ['scorer', 'scorer-stable', 'scorer-canary']) {
        const svc = service(all, name);
        if (svc !== undefined) expect(selects(svc, shadowPods), `${router}: ${name}`).toBe(false);
      }
      // The stable pods are still behind the main Service.
      const stablePods = deployment(all, 'scorer')?.spec?.template.metadata?.labels;
      expect(selects(service(all, 'scorer'), stablePods)).toBe(true);
    }
  });

  it('is not there without spec.shadow, and stable pods mirror nowhere', () => {
    const all = children(md({ model }));
    expect(deployment(all, 'scorer-shadow')).toBeUndefined();
    expect(service(all, 'scorer-shadow')).toBeUndefined();
    expect(env(deployment(all, 'scorer')).SHADOW_TARGET_URL).toBeUndefined();
  });

  it('defaults to 10 % of requests, one pod and the stable resources', () => {
    const resource = md({
      model,
      shadow: { model: shadow.model },
      runtime: { resources: { requests: { cpu: '1' } } },
    });
    expect(resource.spec.shadow).toMatchObject({ percent: 10, replicas: 1, tolerance: 0.0001 });
    const dep = deployment(children(resource), 'scorer-shadow');
    expect(dep?.spec?.template.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '1' } });
  });
});
