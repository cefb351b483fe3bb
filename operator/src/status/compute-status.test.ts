import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { computeStatus, type StatusContext } from './compute-status.js';
import type { DeploymentObservation, Observed } from './observation.js';

function md(spec: Record<string, unknown> = {}): ModelDeployment {
  const r = parseModelDeployment({
    metadata: { name: 'm', namespace: 'ns', uid: 'u', generation: 4 },
    spec: { model: { version: '1', uri: 'https://x/m.onnx' }, ...spec },
  });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
}

const settled: DeploymentObservation = {
  generation: 2,
  observedGeneration: 2,
  desired: 2,
  replicas: 2,
  readyReplicas: 2,
  updatedReplicas: 2,
  availableReplicas: 2,
  available: true,
  deadlineExceeded: false,
  version: '1',
};

function ctx(observed: Partial<Observed>, resource = md()): StatusContext {
  return {
    md: resource,
    observed: {
      stable: settled,
      canary: undefined,
      stableProblem: undefined,
      canaryProblem: undefined,
      missingSecrets: [],
      rejected: [],
      conflicts: [],
      failure: undefined,
      gatewayApiMissing: false,
      route: undefined,
      autoscaler: undefined,
      ...observed,
    },
    rollout: { canary: undefined, stableVersion: '1', stableWeight: 100 },
    url: 'http://m.ns.svc:80',
    selector: 'a=b',
    now: new Date('2026-01-01T00:00:00Z'),
  };
}

/** kstatus (sigs.k8s.io/cli-utils) as Flux and Helm --wait read a custom resource. */
function kstatus(status: ReturnType<typeof computeStatus>, generation: number): string {
  if (status.observedGeneration !== generation) return 'InProgress';
  const c = (t: string) => status.conditions?.find((x) => x.type === t)?.status;
  if (c('Reconciling') === 'True') return 'InProgress';
  if (c('Stalled') === 'True') return 'Failed';
  return 'Current';
}

const cond = (s: ReturnType<typeof computeStatus>, t: string) =>
  s.conditions?.find((c) => c.type === t);

describe('computeStatus', () => {
  it('is Ready and kstatus Current when the stable Deployment is settled', () => {
    const s = computeStatus(ctx({}));
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'Serving' });
    expect(kstatus(s, 4)).toBe('Current');
    expect(s).toMatchObject({
      observedGeneration: 4,
      replicas: 2,
      readyReplicas: 2,
      selector: 'a=b',
      url: 'http://m.ns.svc:80',
    });
  });

  it('is InProgress while pods roll to a new version', () => {
    const s = computeStatus(ctx({ stable: { ...settled, updatedReplicas: 1 } }));
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'RollingUpdate' });
    expect(cond(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingUpdate' });
    expect(kstatus(s, 4)).toBe('InProgress');
  });

  it('is InProgress until the Deployment controller saw the change', () => {
    const s = computeStatus(ctx({ stable: { ...settled, generation: 3 } }));
    expect(kstatus(s, 4)).toBe('InProgress');
  });

  it('is Failed (Stalled) with ModelLoadFailed when pods cannot load the model', () => {
    const s = computeStatus(
      ctx({
        stable: { ...settled, readyReplicas: 0 },
        stableProblem: { reason: 'ModelLoadFailed', message: 'pod x: sha256 mismatch' },
      }),
    );
    expect(cond(s, 'Stalled')).toMatchObject({
      status: 'True',
      reason: 'ModelLoadFailed',
      message: 'pod x: sha256 mismatch',
    });
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'ModelLoadFailed' });
    expect(cond(s, 'Ready')?.status).toBe('False');
    expect(kstatus(s, 4)).toBe('Failed');
  });

  it('is Failed with ProgressDeadlineExceeded when the Deployment gave up', () => {
    const s = computeStatus(
      ctx({ stable: { ...settled, readyReplicas: 0, deadlineExceeded: true } }),
    );
    expect(cond(s, 'Stalled')?.reason).toBe('ProgressDeadlineExceeded');
    expect(kstatus(s, 4)).toBe('Failed');
  });

  it('waits (InProgress, Degraded) for a missing Secret instead of failing', () => {
    const s = computeStatus(ctx({ stable: undefined, missingSecrets: ['keys'] }));
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'SecretNotFound' });
    expect(cond(s, 'Degraded')?.message).toContain('Secret keys not found in namespace ns');
    expect(cond(s, 'Stalled')?.status).toBe('False');
    expect(kstatus(s, 4)).toBe('InProgress');
  });

  it('carries rollout conditions from the canary decision', () => {
    const c = ctx({});
    c.rollout = {
      canary: { phase: 'Aborted', weight: 0 },
      stableVersion: '1',
      stableWeight: 100,
      degraded: { reason: 'RolloutAborted', message: 'error rate 0.2 > 0.01' },
      stalled: { reason: 'RolloutAborted', message: 'change spec.canary to retry' },
    };
    const s = computeStatus(c);
    expect(cond(s, 'Degraded')).toMatchObject({ status: 'True', reason: 'RolloutAborted' });
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(s.canary?.phase).toBe('Aborted');
    expect(kstatus(s, 4)).toBe('Failed');
  });

  it('is Failed (Stalled) with the API server message when a child is refused', () => {
    const s = computeStatus(
      ctx({
        rejected: [
          {
            kind: 'Deployment',
            name: 'm',
            message:
              'spec.template.spec.containers[0].resources.requests: Invalid value: "100m": must be less than or equal to cpu limit of 60m',
          },
        ],
      }),
    );
    expect(cond(s, 'Stalled')).toMatchObject({ status: 'True', reason: 'ChildRejected' });
    expect(cond(s, 'Stalled')?.message).toContain('must be less than or equal to cpu limit');
    expect(cond(s, 'Ready')?.status).toBe('False');
    expect(kstatus(s, 4)).toBe('Failed');
  });

  it('says when the HPA cannot read its metric, without failing the resource', () => {
    const s = computeStatus(
      ctx({
        autoscaler: {
          currentValue: undefined,
          desiredReplicas: 2,
          metricUnavailable: 'FailedGetPodsMetric: unable to fetch metrics',
        },
      }),
    );
    expect(cond(s, 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'AutoscalingMetricUnavailable',
    });
    expect(cond(s, 'Degraded')?.message).toContain('FailedGetPodsMetric');
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(kstatus(s, 4)).toBe('Current');
    expect(s.autoscaling).toEqual({ desiredReplicas: 2 });
  });

  it('keeps transition times when recomputed from its own output', () => {
    const first = computeStatus(ctx({}));
    const again = ctx({}, { ...md(), status: first });
    again.now = new Date('2026-02-01T00:00:00Z');
    expect(computeStatus(again)).toEqual(first);
  });
});
