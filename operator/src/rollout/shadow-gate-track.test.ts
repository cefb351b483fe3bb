import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { desiredChildren, type DesiredChild } from '../controller/desired-children.js';
import { withGateShadow } from './shadow-gate-track.js';
import { decideRollout } from './state.js';

function md(canary: Record<string, unknown>): ModelDeployment {
  const r = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'u', generation: 1 },
    spec: { model: { version: '1', uri: 'https://x/v1.onnx' }, replicas: 3, canary },
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

const candidate = { version: '2', uri: 'https://x/v2.onnx', sha256: 'd'.repeat(64) };
const gated = md({
  model: candidate,
  shadow: { percent: 50, replicas: 2, tolerance: 0.01, prometheusUrl: 'http://prom:9090' },
});

/** The children of the reconcile that starts the rollout, as the reconciler builds them. */
function startChildren(resource: ModelDeployment): DesiredChild[] {
  const decision = decideRollout({
    spec: resource.spec,
    previous: undefined,
    canary: { replicas: 0, readyReplicas: 0, available: false },
    stable: { version: '1', available: true },
    analysis: undefined,
    now: new Date('2026-01-01T00:00:00Z'),
  });
  const tracks = decision.shadowCandidate ? withGateShadow(resource) : resource;
  return desiredChildren(tracks, decision, { defaultImage: 'img' });
}

const named = (all: DesiredChild[], kind: string, name: string): DesiredChild | undefined =>
  all.find((c) => c.kind.kind === kind && c.object.metadata.name === name);

function env(child: DesiredChild | undefined): Record<string, string | undefined> {
  const dep = child?.object as V1Deployment | undefined;
  const vars = dep?.spec?.template.spec?.containers[0]?.env ?? [];
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

describe('the shadow gate on the shadow track', () => {
  it('runs the candidate as the shadow (its pods, its Service) and no canary Deployment', () => {
    const all = startChildren(gated);
    const shadow = named(all, 'Deployment', 'scorer-shadow')?.object as V1Deployment | undefined;
    expect(shadow?.spec?.replicas).toBe(2);
    expect(shadow?.spec?.template.metadata?.labels).toMatchObject({
      'modeldeploy.io/track': 'shadow',
      'app.kubernetes.io/name': 'modeldeploy-runtime-shadow',
      'app.kubernetes.io/version': '2',
    });
    expect(named(all, 'Service', 'scorer-shadow')).toBeDefined();
    expect(named(all, 'Deployment', 'scorer-canary')).toBeUndefined();
  });

  it("points the stable pods' mirroring at the candidate with the gate's percent and tolerance", () => {
    const stable = env(named(startChildren(gated), 'Deployment', 'scorer'));
    expect(stable).toMatchObject({
      SHADOW_TARGET_URL: 'http://scorer-shadow.ml.svc:80',
      SHADOW_PERCENT: '50',
      SHADOW_TOLERANCE: '0.01',
    });
  });

  it('without a gate nothing mirrors and the canary starts as before', () => {
    const all = startChildren(md({ model: candidate }));
    expect(named(all, 'Deployment', 'scorer-shadow')).toBeUndefined();
    expect(named(all, 'Deployment', 'scorer-canary')).toBeDefined();
    expect(env(named(all, 'Deployment', 'scorer')).SHADOW_TARGET_URL).toBeUndefined();
  });

  it('leaves a resource without spec.canary.shadow as it is', () => {
    const plain = md({ model: candidate });
    expect(withGateShadow(plain)).toBe(plain);
  });
});
