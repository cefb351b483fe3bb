import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment } from '../../operator/src/api/model-deployment.js';
import { invalidCases } from '../fixtures/invalid-model-deployments.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

function resource(spec: Record<string, unknown>, name = 'demo'): unknown {
  return {
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name, namespace: 'default', uid: 'u', generation: 1 },
    spec,
  };
}

describe('ModelDeployment schema refuses invalid specs', () => {
  it('has a table of at least 25 cases', () => {
    expect(invalidCases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(invalidCases)('$name', (c) => {
    const result = parseModelDeployment(resource(c.spec, c.metadataName));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = result.errors.join('\n');
    expect(text).toContain(c.field);
    if (c.message) expect(text).toContain(c.message);
  });
});

describe('ModelDeployment schema defaults', () => {
  it('fills the defaults a user leaves out', () => {
    const result = parseModelDeployment(
      resource({
        model: { version: '1', uri: 'https://models.example/m.onnx' },
        autoscaling: { maxReplicas: 4, targetLatencyMs: 80 },
        canary: { model: { version: '2', uri: 'pvc://models/v2/m.onnx' } },
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { spec } = result.value;
    expect(spec.replicas).toBe(1);
    expect(spec.paused).toBe(false);
    expect(spec.autoscaling).toMatchObject({
      minReplicas: 1,
      metric: 'latencyP95',
      scaleDownStabilizationSeconds: 300,
    });
    expect(spec.canary?.steps).toEqual([
      { weight: 10, pauseSeconds: 60 },
      { weight: 50, pauseSeconds: 60 },
    ]);
  });
});

describe('examples', () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'));

  it('exist', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  it.each(files)('%s parses as valid ModelDeployments', (file) => {
    const docs = parseAllDocuments(readFileSync(examplesDir + file, 'utf8')).map(
      (d) => d.toJS() as Record<string, unknown>,
    );
    const mdeps = docs.filter((d) => d.kind === 'ModelDeployment');
    expect(mdeps.length).toBeGreaterThan(0);
    for (const doc of mdeps) {
      const metadata = { ...(doc.metadata as Record<string, unknown>), namespace: 'default' };
      const result = parseModelDeployment({ ...doc, metadata });
      expect(result.ok ? [] : result.errors).toEqual([]);
    }
  });
});
