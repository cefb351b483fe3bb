import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { ownerReference } from './owner.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

describe('ownerReference', () => {
  it('makes the ModelDeployment the controller of its children', () => {
    expect(ownerReference(modelDeployment({}))).toEqual({
      apiVersion: 'modeldeploy.io/v1alpha1',
      kind: 'ModelDeployment',
      name: 'scorer',
      uid: 'uid-1',
      controller: true,
      blockOwnerDeletion: true,
    });
  });
});
