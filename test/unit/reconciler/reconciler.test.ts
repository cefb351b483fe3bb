import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../operator/src/kube/api-error.js';
import { KINDS } from '../../../operator/src/kube/kinds.js';
import type { KubeObject } from '../../../operator/src/kube/object.js';
import { pathOf } from './fake-cluster.js';
import { modelDeployment, NS, Scenario } from './scenario.js';

// Reconciler table tests: an in-memory API server and cache, one case per way the
// operator used to report an intention as a fact or hurt a serving model.

const secretAuth = { auth: { apiKeySecretRef: { name: 'keys' } } };

function deploymentOf(s: Scenario, name = s.name): KubeObject {
  const dep = s.cluster.live(KINDS.deployment, NS, name);
  if (!dep) throw new Error(`no Deployment ${name}`);
  return dep;
}

const specOf = (o: KubeObject): Record<string, unknown> => o['spec'] as Record<string, unknown>;

describe('reconciler', () => {
  it('makes no write at all when a settled resource is resynced', async () => {
    const s = new Scenario('m', { replicas: 2 });
    await s.settle();
    expect(s.condition('Ready')?.status).toBe('True');
    await s.reconcile();
    expect(s.cluster.writes()).toEqual([]);
  });

  it('keeps the serving Deployment when a Secret that spec.auth names disappears', async () => {
    const s = new Scenario('m', { replicas: 2, ...secretAuth });
    s.cluster.put(KINDS.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'keys', namespace: NS },
    });
    await s.settle();
    s.cluster.remove(KINDS.secret, NS, 'keys');
    s.cluster.syncCache();
    await s.reconcile();
    expect(s.cluster.writes().filter((c) => c.verb === 'delete')).toEqual([]);
    expect(s.cluster.live(KINDS.deployment, NS, 'm')).toBeDefined();
    expect(s.condition('Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
  });

  it('does not report Ready for a new generation until the Deployment controller rolled it', async () => {
    const s = new Scenario('m', { replicas: 2 });
    await s.settle();
    s.editSpec((spec) => (spec['model'] = { version: '2', uri: 'https://models.example/m2.onnx' }));
    await s.reconcile();
    // The cache still holds the old Deployment: the apply answer is what tells the truth.
    expect(s.status().observedGeneration).toBe(2);
    expect(s.condition('Ready')?.status).toBe('False');
    expect(s.condition('Reconciling')?.status).toBe('True');
    expect(s.status().stable?.version).toBe('1');
    s.cluster.syncCache();
    await s.reconcile();
    expect(s.condition('Ready')?.status).toBe('False');
    expect(s.status().stable?.version).toBe('1');
    s.rollDeployments();
    await s.reconcile();
    expect(s.condition('Ready')?.status).toBe('True');
    expect(s.condition('Reconciling')?.status).toBe('False');
    expect(s.status().stable?.version).toBe('2');
  });

  it('reports a model scaled to zero as settled: Ready=True, ScaledToZero', async () => {
    const s = new Scenario('m', { replicas: 0 });
    await s.settle();
    expect(s.condition('Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
    expect(s.condition('Reconciling')?.status).toBe('False');
    expect(s.condition('Stalled')?.status).toBe('False');
  });

  it('reports a paused ModelDeployment by what actually runs, not by the edited spec', async () => {
    const s = new Scenario('m', { replicas: 2 });
    await s.settle();
    s.editSpec((spec) => {
      spec['paused'] = true;
      spec['model'] = { version: '2', uri: 'https://models.example/m2.onnx' };
    });
    await s.reconcile();
    expect(s.cluster.writes().filter((c) => c.verb === 'apply')).toEqual([]);
    expect(s.condition('Ready')).toMatchObject({ status: 'True', reason: 'Paused' });
    expect(s.condition('Ready')?.message).toContain('1');
    expect(s.condition('Ready')?.message).toContain('spec.paused');
    expect(s.status().stable?.version).toBe('1');
    expect(s.condition('Reconciling')?.status).toBe('False');
  });

  it('writes a refused write into status once it repeats: 403 is Stalled with the API message', async () => {
    const s = new Scenario('m', { replicas: 2 });
    await s.settle();
    s.editSpec((spec) => (spec['replicas'] = 3));
    s.cluster.failWrites = (call) =>
      call.verb === 'apply'
        ? new ApiError(
            403,
            'Forbidden',
            'deployments.apps "m" is forbidden: nope',
            'PATCH',
            call.path,
          )
        : undefined;
    s.cluster.failures = 1;
    await expect(s.reconcile()).rejects.toThrow(/forbidden/);
    expect(s.condition('Stalled')).toMatchObject({ status: 'True', reason: 'Forbidden' });
    expect(s.condition('Stalled')?.message).toContain('deployments.apps "m" is forbidden: nope');
  });

  it('reports a repeating 5xx as Reconciling with the reason, not as a failure', async () => {
    const s = new Scenario('m', { replicas: 2 });
    await s.settle();
    s.editSpec((spec) => (spec['replicas'] = 3));
    s.cluster.failWrites = (call) =>
      call.verb === 'apply'
        ? new ApiError(503, 'ServiceUnavailable', 'etcd is down', 'PATCH', call.path)
        : undefined;
    s.cluster.failures = 2;
    await expect(s.reconcile()).rejects.toThrow(/etcd is down/);
    expect(s.condition('Reconciling')).toMatchObject({ status: 'True', reason: 'ApiServerError' });
    expect(s.condition('Reconciling')?.message).toContain('etcd is down');
    expect(s.condition('Stalled')?.status).toBe('False');
  });

  it('hands spec.replicas over before it stops applying it when autoscaling is turned on', async () => {
    const s = new Scenario('m', { replicas: 3 });
    await s.settle();
    s.editSpec((spec) => {
      spec['autoscaling'] = {
        minReplicas: 2,
        maxReplicas: 6,
        metric: 'inflight',
        targetInflight: 4,
      };
    });
    await s.reconcile();
    const applies = s.cluster.writes().filter((c) => c.path === pathOf(KINDS.deployment, NS, 'm'));
    expect(applies.length).toBe(2);
    const [handover, withoutReplicas] = applies;
    expect(handover?.fieldManager).not.toBe(withoutReplicas?.fieldManager);
    expect(specOf(handover?.body as KubeObject)).toEqual({ replicas: 3 });
    expect(specOf(withoutReplicas?.body as KubeObject)['replicas']).toBeUndefined();
    // Once handed over, later spec edits apply once.
    s.cluster.syncCache();
    s.rollDeployments();
    s.editSpec((spec) => (spec['model'] = { version: '2', uri: 'https://models.example/m2.onnx' }));
    await s.reconcile();
    expect(
      s.cluster.writes().filter((c) => c.path === pathOf(KINDS.deployment, NS, 'm')).length,
    ).toBe(1);
  });

  it('does not call a model failed because of one restart long ago', async () => {
    const s = new Scenario('m', { replicas: 1 });
    await s.settle();
    s.cluster.put(KINDS.pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'm-abc',
        namespace: NS,
        labels: {
          'app.kubernetes.io/managed-by': 'modeldeploy-operator',
          'app.kubernetes.io/instance': 'm',
          'app.kubernetes.io/version': '1',
          'modeldeploy.io/track': 'stable',
        },
      },
      status: {
        containerStatuses: [
          {
            name: 'runtime',
            ready: true,
            restartCount: 1,
            state: { running: { startedAt: '2025-12-31T00:00:00Z' } },
            lastState: {
              terminated: {
                exitCode: 137,
                reason: 'OOMKilled',
                finishedAt: '2025-12-31T00:00:00Z',
              },
            },
          },
        ],
      },
    });
    s.cluster.syncCache();
    await s.reconcile();
    expect(s.condition('Ready')).toMatchObject({ status: 'True', reason: 'Serving' });
    expect(s.condition('Stalled')?.status).toBe('False');
  });

  it('guards the status write with the resourceVersion it decided from', async () => {
    const s = new Scenario('m', { replicas: 1 });
    await s.reconcile();
    const write = s.cluster.writes().find((c) => c.verb === 'patch-status');
    expect(JSON.stringify(write?.body)).toContain(`"/metadata/resourceVersion"`);
    // Someone else wrote in between (the cache has not seen it): the write is refused and
    // the reconcile retried on fresh state.
    s.rollDeployments();
    s.cluster.edit(KINDS.modelDeployment, NS, 'm', (o) => (o.metadata.labels = { x: 'y' }));
    await expect(s.reconcile()).rejects.toMatchObject({ status: 409 });
  });

  it('never takes over a Service someone else created with the same name', async () => {
    const s = new Scenario('m', { replicas: 1 });
    s.cluster.put(KINDS.service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'm', namespace: NS, labels: { app: 'theirs' } },
      spec: { ports: [{ port: 80 }] },
    });
    s.cluster.syncCache();
    await s.reconcile();
    expect(s.cluster.writes().filter((c) => c.path === pathOf(KINDS.service, NS, 'm'))).toEqual([]);
    expect(s.cluster.live(KINDS.service, NS, 'm')?.metadata.labels).toEqual({ app: 'theirs' });
    expect(s.condition('Stalled')).toMatchObject({ status: 'True', reason: 'ChildConflict' });
    expect(s.condition('Stalled')?.message).toContain('Service m');
  });

  it('keeps ModelDeployments x and x-canary from fighting over the Deployment x-canary', async () => {
    const other = new Scenario('x-canary', { replicas: 1 });
    await other.settle();
    const s = new Scenario('x', {
      replicas: 2,
      canary: {
        model: { version: '2', uri: 'https://models.example/m2.onnx' },
        steps: [{ weight: 50, pauseSeconds: 60 }],
      },
    });
    // Both live in one cluster.
    for (const kind of [KINDS.deployment, KINDS.service, KINDS.pdb]) {
      for (const name of ['x-canary']) {
        const obj = other.cluster.live(kind, NS, name);
        if (obj) s.cluster.put(kind, obj);
      }
    }
    s.cluster.put(KINDS.modelDeployment, other.md());
    s.cluster.syncCache();
    for (let i = 0; i < 3; i++) {
      await s.reconcile();
      s.cluster.syncCache();
      s.rollDeployments();
    }
    const dep = deploymentOf(s, 'x-canary');
    expect(dep.metadata.ownerReferences?.[0]?.uid).toBe('uid-x-canary');
    expect(dep.metadata.labels?.['app.kubernetes.io/instance']).toBe('x-canary');
    expect(JSON.stringify(s.status())).toContain('ChildConflict');
  });

  it('settles when the API server canonicalises quantities and a webhook adds a sidecar', async () => {
    const s = new Scenario('m', {
      replicas: 1,
      runtime: { resources: { requests: { cpu: '0.5', memory: '1024Mi' } } },
    });
    await s.settle();
    s.cluster.edit(KINDS.deployment, NS, 'm', (d) => {
      const pod = (d['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } })
        .template.spec;
      const runtime = pod.containers[0] as { resources: { requests: Record<string, string> } };
      runtime.resources.requests = { cpu: '500m', memory: '1Gi' };
      pod.containers.push({ name: 'istio-proxy', image: 'proxy:1' });
    });
    s.cluster.syncCache();
    await s.reconcile();
    expect(s.cluster.writes()).toEqual([]);
  });

  it('reports an invalid spec through the same guarded status write', async () => {
    const s = new Scenario('m', { replicas: 1 });
    s.cluster.put(KINDS.modelDeployment, {
      ...modelDeployment('m', {}),
      spec: { model: { uri: 'ftp://nope' } },
    });
    s.cluster.syncCache();
    await s.reconcile();
    const write = s.cluster.writes().find((c) => c.verb === 'patch-status');
    expect(JSON.stringify(write?.body)).toContain(`"/metadata/resourceVersion"`);
    expect(s.condition('Stalled')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
  });

  it('does not call a promotion done before the stable Deployment rolled the candidate', async () => {
    const s = new Scenario('m', { replicas: 2 });
    await s.settle();
    s.editSpec((spec) => {
      spec['canary'] = {
        model: { version: '2', uri: 'https://models.example/m2.onnx' },
        steps: [{ weight: 50, pauseSeconds: 60 }],
        promote: true,
      };
    });
    await s.reconcile();
    expect(s.status().canary?.phase).toBe('Promoting');
    // The cache now holds the candidate's template, while the Deployment controller has not
    // observed it: its old counts say "2 updated, 2 ready" about the previous ReplicaSet.
    s.cluster.syncCache();
    await s.reconcile();
    expect(s.status().canary?.phase).toBe('Promoting');
    expect(s.status().stable?.version).toBe('1');
    s.rollDeployments();
    await s.reconcile();
    expect(s.status().canary?.phase).toBe('Promoted');
    expect(s.status().stable?.version).toBe('2');
  });

  describe('under router gatewayAPI', () => {
    const routed = {
      replicas: 2,
      traffic: { router: 'gatewayAPI', gatewayRef: { name: 'inference' } },
      canary: {
        model: { version: '2', uri: 'https://models.example/m2.onnx' },
        steps: [{ weight: 20, pauseSeconds: 0 }],
      },
    };
    const routeStatus = (s: Scenario, accepted: 'True' | 'False'): void => {
      s.cluster.edit(KINDS.httpRoute, NS, 'm', (r) => {
        r['status'] = {
          parents: [
            {
              parentRef: { name: 'inference' },
              controllerName: 'example.net/gateway',
              conditions: [
                {
                  type: 'Accepted',
                  status: accepted,
                  reason: accepted === 'True' ? 'Accepted' : 'NoMatchingListenerHostname',
                  message: accepted === 'True' ? '' : 'no listener matches',
                },
                { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs' },
              ],
            },
          ],
        };
      });
      s.cluster.syncCache();
    };

    it('is not Ready and holds the canary while the Gateway does not accept the route', async () => {
      const s = new Scenario('m', routed);
      await s.settle();
      routeStatus(s, 'False');
      for (let i = 0; i < 3; i++) {
        s.rollDeployments();
        await s.reconcile();
        s.cluster.syncCache();
      }
      expect(s.condition('Ready')?.status).toBe('False');
      expect(s.condition('Stalled')).toMatchObject({ status: 'True', reason: 'RouteNotAccepted' });
      expect(s.condition('Stalled')?.message).toContain('no listener matches');
      expect(s.status().canary?.phase).toBe('Verifying');
      expect(s.status().canary?.message).toContain('holding until the HTTPRoute routes traffic');
      routeStatus(s, 'True');
      s.rollDeployments();
      await s.reconcile();
      expect(s.status().canary?.phase).toBe('Progressing');
    });

    it('says on the ModelDeployment that the Gateway API is not installed', async () => {
      const s = new Scenario('m', routed);
      s.cluster.missingKinds.add('HTTPRoute');
      await s.settle();
      expect(s.condition('Stalled')).toMatchObject({
        status: 'True',
        reason: 'GatewayAPINotInstalled',
      });
      expect(s.condition('Ready')?.status).toBe('False');
    });
  });

  it('never queries a Prometheus outside the allow-list, and says why the canary holds', async () => {
    const s = new Scenario('m', {
      replicas: 2,
      canary: {
        model: { version: '2', uri: 'https://models.example/m2.onnx' },
        steps: [{ weight: 20, pauseSeconds: 0 }],
        analysis: { intervalSeconds: 5, prometheusUrl: 'http://10.0.0.1:9090' },
      },
    });
    for (let i = 0; i < 4; i++) {
      s.rollDeployments();
      await s.reconcile();
      s.cluster.syncCache();
      s.cluster.now = new Date(s.cluster.now.getTime() + 60_000);
    }
    expect(s.cluster.analyses).toBe(0);
    expect(s.status().canary).toMatchObject({ phase: 'Progressing', step: 0 });
    expect(s.condition('Stalled')).toMatchObject({
      status: 'True',
      reason: 'PrometheusUrlNotAllowed',
    });
    expect(s.condition('Stalled')?.message).toContain('ANALYSIS_PROMETHEUS_URLS');
  });
});
