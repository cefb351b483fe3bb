import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { deploymentName, serviceName } from './names.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

describe('child names', () => {
  it('names Deployments and Services after the resource, suffixed by track', () => {
    const md = modelDeployment({});
    expect(deploymentName(md, 'stable')).toBe('scorer');
    expect(deploymentName(md, 'canary')).toBe('scorer-canary');
    expect(serviceName(md, 'main')).toBe('scorer');
    expect(serviceName(md, 'stable')).toBe('scorer-stable');
    expect(serviceName(md, 'canary')).toBe('scorer-canary');
  });
});
