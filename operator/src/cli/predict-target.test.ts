import { describe, expect, it } from 'vitest';
import type { ModelDeploymentObject } from './cluster-objects.js';
import { predictTarget, servingTrack } from './predict-target.js';

const md: ModelDeploymentObject = {
  metadata: { name: 'iris', namespace: 'ml' },
  spec: { model: { version: '1', name: 'flowers' } },
  status: {
    model: 'flowers',
    stable: { version: '1' },
    canary: { version: '2', readyReplicas: 1, phase: 'Progressing' },
  },
};

describe('predictTarget', () => {
  it('sends a /predict body to the main Service through the service proxy', () => {
    expect(predictTarget(md, { inputs: { x: [[1]] } })).toEqual({
      ok: true,
      target: {
        service: 'iris',
        route: '/predict',
        proxyPath: '/api/v1/namespaces/ml/services/iris:http/proxy/predict',
      },
    });
  });

  it('sends a KServe v2 body to the v2 infer route of the served model name', () => {
    const choice = predictTarget(md, {
      inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }],
    });
    expect(choice.ok && choice.target.route).toBe('/v2/models/flowers/infer');
  });

  it('with --version picks the track Service serving it, and names what is served when none does', () => {
    const canary = predictTarget(md, {}, '2');
    expect(canary.ok && canary.target.service).toBe('iris-canary');
    expect(predictTarget(md, {}, '1').ok && predictTarget(md, {}, '1')).toMatchObject({
      target: { service: 'iris-stable' },
    });
    expect(predictTarget(md, {}, '3')).toEqual({
      ok: false,
      reason: 'no such version: iris serves 1 (stable), 2 (canary), not 3',
    });
  });

  it('names the track that served an answer from its version header', () => {
    expect(servingTrack(md, '2')).toBe('2 (canary)');
    expect(servingTrack(md, '9')).toBe('9');
    expect(servingTrack(md, undefined)).toMatch(/no x-model-version header/);
  });
});
