import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { selectorLabels, selectorString, trackLabels } from './labels.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

describe('labels', () => {
  it('gives track pods the standard labels with version and served model name', () => {
    const md = modelDeployment({
      model: { name: 'ranking-model', version: 'v1', uri: 'https://models.example/m.onnx' },
    });
    expect(trackLabels(md, 'canary', '2024-11-15')).toEqual({
      'app.kubernetes.io/name': 'modeldeploy-runtime',
      'app.kubernetes.io/instance': 'scorer',
      'app.kubernetes.io/version': '2024-11-15',
      'app.kubernetes.io/managed-by': 'modeldeploy-operator',
      'app.kubernetes.io/component': 'model-server',
      'modeldeploy.io/track': 'canary',
      'modeldeploy.io/model': 'ranking-model',
    });
  });

  it('keeps the version out of selectors, which are immutable', () => {
    const md = modelDeployment({});
    expect(selectorLabels(md)).toEqual({
      'app.kubernetes.io/name': 'modeldeploy-runtime',
      'app.kubernetes.io/instance': 'scorer',
    });
    expect(selectorLabels(md, 'stable')).toEqual({
      ...selectorLabels(md),
      'modeldeploy.io/track': 'stable',
    });
    expect(trackLabels(md, 'stable', 'v1')).toMatchObject(selectorLabels(md, 'stable'));
  });

  it('prints a selector as sorted key=value pairs', () => {
    expect(
      selectorString({ 'modeldeploy.io/track': 'stable', 'app.kubernetes.io/instance': 'a' }),
    ).toBe('app.kubernetes.io/instance=a,modeldeploy.io/track=stable');
    expect(selectorString({})).toBe('');
  });
});
