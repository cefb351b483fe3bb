import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/object.js';
import { observeAutoscaler, observeDeployment, podProblem } from './observe.js';

const NOW = new Date('2026-01-01T00:00:00Z');

const pod = (version: string, status: Record<string, unknown>): KubeObject => ({
  metadata: { name: `p-${version}`, labels: { 'app.kubernetes.io/version': version } },
  status,
});

describe('podProblem', () => {
  it('names a golden mismatch from the termination message', () => {
    const p = pod('2', {
      containerStatuses: [
        {
          name: 'runtime',
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: {
            terminated: {
              exitCode: 1,
              message:
                "model 'm' version '2' failed to load: golden request 'zeros' output 'output'[3]: expected 0.5, got 0.7",
            },
          },
        },
      ],
    });
    expect(podProblem([p], '2', NOW)).toEqual({
      reason: 'GoldenCheckFailed',
      message:
        "pod p-2: model 'm' version '2' failed to load: golden request 'zeros' output 'output'[3]: expected 0.5, got 0.7",
    });
  });

  it('reports other load failures as ModelLoadFailed and ignores pods of other versions', () => {
    const bad = pod('1', {
      containerStatuses: [
        { name: 'runtime', state: { terminated: { exitCode: 1, message: 'sha256 mismatch' } } },
      ],
    });
    expect(podProblem([bad], '1', NOW)?.reason).toBe('ModelLoadFailed');
    expect(podProblem([bad], '2', NOW)).toBeUndefined();
  });

  it('takes the reason a storage failure leads its termination message with', () => {
    const cases = [
      [
        "ModelAccessDenied: model 'm' version '1' failed to load: s3://b/k: AccessDenied (HTTP 403): access denied to access key id AKIA1",
        'ModelAccessDenied',
      ],
      [
        "ModelNotFound: model 'm' version '1' failed to load: no object 'k' in bucket 'b'",
        'ModelNotFound',
      ],
      // The name of a golden-looking bucket does not make a digest mismatch a golden failure.
      [
        "ModelDigestMismatch: model 'm' version '1' failed to load: s3://golden/m.onnx: sha256 mismatch",
        'ModelDigestMismatch',
      ],
      // Only a leading reason counts: a message that merely mentions one is a load failure.
      ["model 'm' version '1' failed to load: see ModelNotFound: docs", 'ModelLoadFailed'],
    ] as const;
    for (const [message, reason] of cases) {
      const p = pod('1', {
        containerStatuses: [{ name: 'runtime', state: { terminated: { exitCode: 1, message } } }],
      });
      expect(podProblem([p], '1', NOW)).toEqual({ reason, message: `pod p-1: ${message}` });
    }
  });

  it('sees no problem in a pod that exited cleanly', () => {
    const ok = pod('1', {
      containerStatuses: [{ name: 'runtime', lastState: { terminated: { exitCode: 0 } } }],
    });
    expect(podProblem([ok], '1', NOW)).toBeUndefined();
  });
});

describe('observeDeployment', () => {
  it('reads the progress deadline and the template version', () => {
    const obs = observeDeployment({
      metadata: { name: 'm', generation: 3 },
      spec: {
        replicas: 2,
        template: { metadata: { labels: { 'app.kubernetes.io/version': 'v7' } } },
      },
      status: {
        observedGeneration: 3,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      },
    });
    expect(obs).toMatchObject({
      desired: 2,
      version: 'v7',
      deadlineExceeded: true,
      available: false,
    });
  });
});

describe('observeAutoscaler', () => {
  it('reports the current metric and why scaling is inactive', () => {
    const obs = observeAutoscaler({
      metadata: { name: 'm' },
      status: {
        desiredReplicas: 3,
        currentMetrics: [{ type: 'Pods', pods: { current: { averageValue: '120m' } } }],
        conditions: [
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'FailedGetPodsMetric',
            message: 'no custom metrics API',
          },
        ],
      },
    });
    expect(obs).toEqual({
      currentValue: '120m',
      desiredReplicas: 3,
      metricUnavailable: 'FailedGetPodsMetric: no custom metrics API',
    });
  });
});
