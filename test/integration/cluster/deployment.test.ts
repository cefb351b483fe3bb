import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, eventually, getJson, k, kOk } from './cluster-kit.js';

interface Pod {
  metadata: { name: string; ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string };
}
interface List<T> {
  items: T[];
}
interface Deployment {
  status: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
}

const deployment = (namespace: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${namespace} }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        # kwok never pulls images; the name only has to be valid.
        - name: web
          image: registry.invalid/web:1
          resources: { requests: { cpu: 100m, memory: 64Mi } }
`;

describe('control plane: Deployments run on kwok nodes', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await createNamespace('deploy');
  });
  afterAll(async () => {
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('schedules the pods onto kwok nodes, runs them, and makes the Deployment Available', async () => {
    await kOk(['apply', '-f', '-'], deployment(ns));
    await kOk(['-n', ns, 'wait', '--for=condition=Available', 'deployment/web', '--timeout=60s']);

    const pods = await getJson<List<Pod>>(['-n', ns, 'pods', '-l', 'app=web']);
    expect(pods.items).toHaveLength(3);
    const nodes = inject('nodeNames');
    for (const pod of pods.items) {
      expect(pod.status.phase).toBe('Running');
      expect(nodes).toContain(pod.spec.nodeName);
      expect(pod.status.podIP).toMatch(/^10\.244\./);
      // Made by the ReplicaSet controller, so kube-controller-manager is really running.
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
    }
    const dep = await getJson<Deployment>(['-n', ns, 'deployment', 'web']);
    expect(dep.status.availableReplicas).toBe(3);
  });

  it('runs the HPA controller: an HPA on the Deployment gets its conditions', async () => {
    await kOk(['-n', ns, 'autoscale', 'deployment', 'web', '--min=1', '--max=4', '--cpu=50%']);
    // No metrics API in this cluster, so the controller must report exactly that; what
    // matters is that kube-controller-manager's HPA controller looked at it at all.
    const conditions = await eventually('HPA conditions', async () => {
      const hpa = await getJson<{ status: { conditions?: { type: string; status: string }[] } }>([
        '-n',
        ns,
        'hpa',
        'web',
      ]);
      return hpa.status.conditions?.length ? hpa.status.conditions : undefined;
    });
    expect(conditions.find((c) => c.type === 'AbleToScale')?.status).toBe('True');
  });

  it('garbage-collects the ReplicaSet and Pods when the Deployment is deleted', async () => {
    await kOk(['-n', ns, 'delete', 'deployment', 'web', '--cascade=background']);
    await eventually('pods and replicasets to be collected', async () => {
      const pods = await getJson<List<Pod>>(['-n', ns, 'pods']);
      const sets = await getJson<List<unknown>>(['-n', ns, 'replicasets']);
      return pods.items.length === 0 && sets.items.length === 0 ? true : undefined;
    });
  });
});
