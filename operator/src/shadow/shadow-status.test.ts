import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import type { ShadowStatus } from '../api/model-deployment-status.js';
import type { DeploymentObservation } from '../status/observation.js';
import { measureShadow } from './measure-shadow.js';
import { SHADOW_MEASURE_INTERVAL_MS, shadowMeasurementDue, shadowStatus } from './shadow-status.js';

const NOW = new Date('2026-11-29T10:00:00Z');

function md(shadow: Record<string, unknown> | undefined, status?: ShadowStatus): ModelDeployment {
  const r = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'u', generation: 1 },
    spec: { model: { version: '1', uri: 'https://x/v1.onnx' }, ...(shadow ? { shadow } : {}) },
    status: status ? { shadow: status } : {},
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

const model = { version: '2', uri: 'https://x/v2.onnx' };
const observed = { version: '2', replicas: 2, readyReplicas: 1 } as DeploymentObservation;
const measured = {
  measuredAt: new Date(NOW.getTime() - 5000).toISOString(),
  compared: 120,
  disagreementRate: 0.025,
  latencyP95Ms: 12.5,
};

describe('status.shadow', () => {
  it('is absent without spec.shadow', () => {
    expect(shadowStatus(md(undefined), undefined, undefined)).toBeUndefined();
  });

  it('reports the version and pods, and no figures without a Prometheus URL', () => {
    expect(shadowStatus(md({ model }, measured), observed, undefined)).toEqual({
      version: '2',
      replicas: 2,
      readyReplicas: 1,
    });
    expect(shadowStatus(md({ model }), undefined, undefined)).toEqual({
      version: '2',
      replicas: 0,
      readyReplicas: 0,
    });
  });

  it('keeps the last figures until the next measurement, then takes the new ones', () => {
    const resource = md(
      { model, prometheusUrl: 'http://prom:9090' },
      { version: '2', ...measured },
    );
    expect(shadowStatus(resource, observed, undefined)).toMatchObject(measured);
    const fresh = { measuredAt: NOW.toISOString(), message: 'no comparisons in the last 300 s' };
    expect(shadowStatus(resource, observed, fresh)).toEqual({
      version: '2',
      replicas: 2,
      readyReplicas: 1,
      ...fresh,
    });
  });

  it('measures when asked to, first at once and then once per interval', () => {
    const url = 'http://prom:9090';
    expect(shadowMeasurementDue(md({ model }), NOW)).toBe(false);
    expect(shadowMeasurementDue(md({ model, prometheusUrl: url }), NOW)).toBe(true);
    const recent = md({ model, prometheusUrl: url }, { ...measured });
    expect(shadowMeasurementDue(recent, NOW)).toBe(false);
    const later = new Date(Date.parse(measured.measuredAt) + SHADOW_MEASURE_INTERVAL_MS);
    expect(shadowMeasurementDue(recent, later)).toBe(true);
  });

  it('never queries a Prometheus outside the allow-list', async () => {
    const asked: string[] = [];
    const result = await measureShadow({
      prometheusUrl: 'http://169.254.169.254/latest',
      series: { namespace: 'ml', name: 'scorer', model: 'scorer' },
      windowSeconds: 300,
      now: NOW,
      allowed: (url) => {
        asked.push(url);
        return false;
      },
    });
    expect(asked).toEqual(['http://169.254.169.254/latest']);
    expect(result).toEqual({
      measuredAt: NOW.toISOString(),
      message: expect.stringContaining("not in the operator's allow-list") as unknown as string,
    });
  });
});
