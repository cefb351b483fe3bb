import { describe, expect, it } from 'vitest';
import type { Snapshot } from './cluster-objects.js';
import { age, renderTree } from './render-tree.js';

const NOW = new Date('2026-01-01T12:00:00Z');

function canaryInProgress(): Snapshot {
  return {
    md: {
      metadata: { name: 'iris', namespace: 'ml', generation: 3 },
      spec: {
        model: { version: '1.0.0' },
        replicas: 4,
        canary: {
          model: { version: '2.0.0' },
          steps: [
            { weight: 25, pauseSeconds: 60 },
            { weight: 50, pauseSeconds: 60 },
          ],
          analysis: { prometheusUrl: 'http://prom:9090' },
        },
        autoscaling: { minReplicas: 2, maxReplicas: 6, metric: 'latencyP95' },
      },
      status: {
        observedGeneration: 3,
        model: 'iris',
        stable: { version: '1.0.0', replicas: 3, readyReplicas: 3, weight: 75 },
        canary: {
          phase: 'Progressing',
          version: '2.0.0',
          replicas: 1,
          readyReplicas: 1,
          weight: 25,
          step: 0,
          failedChecks: 1,
          message: 'step 1/2 at 25 %',
          lastAnalysis: {
            time: '2026-01-01T11:59:30Z',
            verdict: 'Pass',
            errorRate: 0.0025,
            latencyP95Ms: 12.345,
            message: 'within limits',
          },
        },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Serving',
            message: 'serving',
            lastTransitionTime: '',
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: 'RolloutStarted',
            message: 'rolling out',
            lastTransitionTime: '',
          },
        ],
      },
    },
    stable: { metadata: { name: 'iris' }, spec: { replicas: 3 }, status: { readyReplicas: 2 } },
    canary: {
      metadata: { name: 'iris-canary' },
      spec: { replicas: 1 },
      status: { readyReplicas: 1 },
    },
    hpa: {
      metadata: { name: 'iris' },
      spec: {
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'modeldeploy_latency_p95_ms' },
              target: { averageValue: '250' },
            },
          },
        ],
      },
      status: {
        currentReplicas: 3,
        desiredReplicas: 3,
        currentMetrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'modeldeploy_latency_p95_ms' },
              current: { averageValue: '120' },
            },
          },
        ],
      },
    },
  };
}

describe('renderTree', () => {
  it('draws a canary in progress: rollout, both tracks with pods and real traffic, the HPA reading, conditions', () => {
    const text = renderTree(canaryInProgress(), NOW);
    expect(text.split('\n')[0]).toBe('ModelDeployment ml/iris (model iris)');
    expect(text).toContain('├─ Status:   Rolling out (Progressing)');
    expect(text).toContain('Rollout:  Progressing → 2.0.0  step 1/2 (weight 25 %)');
    expect(text).toContain('│  ├─ Message:  step 1/2 at 25 %');
    expect(text).toContain(
      'Analysis: Pass 30s ago, error rate 0.25 %, p95 12.35 ms; failed checks 1; within limits',
    );
    expect(text).toMatch(/stable +1\.0\.0 +pods 2\/3 ready +traffic 75 % +Deployment iris\n/);
    expect(text).toMatch(
      /canary +2\.0\.0 +pods 1\/1 ready +traffic 25 % +Deployment iris-canary\n/,
    );
    expect(text).toContain(
      'HPA      iris: modeldeploy_latency_p95_ms 120/250; replicas 3 (wants 3, 2–6)',
    );
    expect(text).toContain(
      '└─ Conditions\n   ├─ Ready=True Serving: serving\n   └─ Progressing=True RolloutStarted: rolling out\n',
    );
  });

  it('shows an HPA that cannot read its metric as <unknown>, with the reason', () => {
    const snap = canaryInProgress();
    if (snap.hpa?.status) {
      snap.hpa.status.currentMetrics = null;
      snap.hpa.status.conditions = [
        {
          type: 'ScalingActive',
          status: 'False',
          reason: 'FailedGetPodsMetric',
          message: 'no metrics returned',
        },
      ];
    }
    const text = renderTree(snap, NOW);
    expect(text).toContain('modeldeploy_latency_p95_ms <unknown>/250');
    expect(text).toContain('ScalingActive=False FailedGetPodsMetric: no metrics returned');
  });

  it('without a canary shows no rollout and no canary track; says when the operator has not written status', () => {
    const text = renderTree(
      { md: { metadata: { name: 'm', namespace: 'd' }, spec: { model: { version: '1' } } } },
      NOW,
    );
    expect(text).not.toContain('Rollout:');
    expect(text).not.toMatch(/canary/);
    expect(text).toContain('Unknown (no Ready condition yet; is the operator running?)');
    expect(text).toContain('Conditions: none yet');
  });

  it('marks a paused object and requested promotion, and says analysis is off when not configured', () => {
    const snap = canaryInProgress();
    snap.md.spec.paused = true;
    if (snap.md.spec.canary) {
      snap.md.spec.canary.promote = true;
      delete snap.md.spec.canary.analysis;
    }
    delete snap.md.status?.canary?.lastAnalysis;
    const text = renderTree(snap, NOW);
    expect(text).toContain('Paused:   yes (spec.paused)');
    expect(text).toContain('[promote requested]');
    expect(text).toContain('Analysis: not configured (steps advance on time alone)');
  });

  it('ages in seconds, minutes and hours', () => {
    expect(age('2026-01-01T11:59:00Z', NOW)).toBe('60s ago');
    expect(age('2026-01-01T11:50:00Z', NOW)).toBe('10m ago');
    expect(age('2026-01-01T09:00:00Z', NOW)).toBe('3h ago');
    expect(age('not a time', NOW)).toBe('at not a time');
  });
});
