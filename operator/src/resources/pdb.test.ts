import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildPodDisruptionBudget } from './pdb.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

describe('buildPodDisruptionBudget', () => {
  it('is undefined without spec.disruptionBudget', () => {
    expect(buildPodDisruptionBudget(modelDeployment({}))).toBeUndefined();
  });

  it('protects the stable track with maxUnavailable', () => {
    const pdb = buildPodDisruptionBudget(
      modelDeployment({ disruptionBudget: { maxUnavailable: 1 } }),
    );
    expect(pdb?.apiVersion).toBe('policy/v1');
    expect(pdb?.kind).toBe('PodDisruptionBudget');
    expect(pdb?.metadata).toMatchObject({ name: 'scorer', namespace: 'ml' });
    expect(pdb?.metadata?.ownerReferences?.[0]).toMatchObject({ uid: 'uid-1', controller: true });
    expect(pdb?.spec).toEqual({
      selector: {
        matchLabels: {
          'app.kubernetes.io/name': 'modeldeploy-runtime',
          'app.kubernetes.io/instance': 'scorer',
          'modeldeploy.io/track': 'stable',
        },
      },
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  it('accepts minAvailable as a percentage and sets only that bound', () => {
    const pdb = buildPodDisruptionBudget(
      modelDeployment({ disruptionBudget: { minAvailable: '50%' } }),
    );
    expect(pdb?.spec?.minAvailable).toBe('50%');
    expect(pdb?.spec).not.toHaveProperty('maxUnavailable');
  });
});
