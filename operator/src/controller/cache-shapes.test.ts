import { describe, expect, it } from 'vitest';
import { ownerUids, podEssentials, podInstanceKey } from './cache-shapes.js';
import { podProblem } from '../status/observe.js';

const NOW = new Date('2026-01-01T00:00:00Z');

describe('podEssentials', () => {
  it('keeps what status reads (labels, termination messages) and drops the rest', () => {
    const pod = {
      metadata: {
        name: 'p',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '9',
        labels: { 'app.kubernetes.io/version': '2' },
        annotations: { big: 'x'.repeat(1000) },
      },
      spec: {
        containers: [
          { name: 'runtime', env: [{ name: 'GOLDEN_REQUESTS', value: 'x'.repeat(5000) }] },
        ],
      },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'runtime',
            lastState: { terminated: { exitCode: 1, message: 'golden request failed' } },
          },
        ],
      },
    };
    const slim = podEssentials(pod);
    expect(slim).not.toHaveProperty('spec');
    expect(slim.metadata).not.toHaveProperty('annotations');
    expect(JSON.stringify(slim).length).toBeLessThan(400);
    expect(podProblem([slim], '2', NOW)).toEqual({
      reason: 'GoldenCheckFailed',
      message: 'pod p: golden request failed',
    });
  });
});

describe('podInstanceKey', () => {
  it('files a pod under namespace/instance, and an unlabelled pod nowhere', () => {
    const labels = { 'app.kubernetes.io/instance': 'iris' };
    expect(podInstanceKey({ metadata: { name: 'p', namespace: 'ns', labels } })).toEqual([
      'ns/iris',
    ]);
    expect(podInstanceKey({ metadata: { name: 'p', namespace: 'ns' } })).toEqual([]);
  });
});

describe('ownerUids', () => {
  it('files a child under every owner uid, and an ownerless object nowhere', () => {
    const ref = (uid: string): { apiVersion: string; kind: string; name: string; uid: string } => ({
      apiVersion: 'v1',
      kind: 'K',
      name: uid,
      uid,
    });
    const metadata = { name: 'c', namespace: 'ns', ownerReferences: [ref('u1'), ref('u2')] };
    expect(ownerUids({ metadata })).toEqual(['u1', 'u2']);
    expect(ownerUids({ metadata: { name: 'c' } })).toEqual([]);
  });
});
