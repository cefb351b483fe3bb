import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  startOperatorFor,
} from '../cluster/cluster-kit.js';
import type { OperatorProcess } from '../../support/operator-process.js';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}
interface MDep {
  metadata: { generation: number; uid: string };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    stable?: { version?: string; replicas?: number; readyReplicas?: number };
    canary?: { phase?: string; weight?: number };
    replicas?: number;
    readyReplicas?: number;
    selector?: string;
    url?: string;
  };
}
interface Owned {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
}
interface Deployment extends Owned {
  spec: {
    replicas?: number;
    template: {
      spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] };
    };
  };
}

const example = (file: string): string =>
  readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8');

function condition(md: MDep, type: string): Condition | undefined {
  return md.status?.conditions?.find((c) => c.type === type);
}

describe('operator reconciles ModelDeployments against a real control plane', () => {
  let ns = '';
  let op: OperatorProcess;

  const mdep = (name: string): Promise<MDep> => getJson<MDep>(['modeldeployment', name, '-n', ns]);
  const ready = (name: string, extra: (md: MDep) => boolean = () => true): Promise<MDep> =>
    eventually(`${name} Ready=True at its generation`, async () => {
      const md = await mdep(name);
      const ok =
        condition(md, 'Ready')?.status === 'True' &&
        md.status?.observedGeneration === md.metadata.generation &&
        extra(md);
      return ok ? md : undefined;
    });

  beforeAll(async () => {
    ns = await createNamespace('op');
    op = await startOperatorFor(ns, { RESYNC_SECONDS: '10' });
  });

  afterAll(async () => {
    const code = await op?.stop();
    await k(['delete', 'namespace', ns, '--wait=false']);
    expect(code).toBe(0);
  });

  it('serves examples/minimal.yaml: owned children, pods Running, Ready at the right generation', async () => {
    await kOk(['apply', '-n', ns, '-f', '-'], example('minimal.yaml'));
    const md = await ready('iris-tiny');
    expect(md.status?.stable).toMatchObject({ version: '1', replicas: 1, readyReplicas: 1 });
    expect(md.status?.url).toBe(`http://iris-tiny.${ns}.svc:80`);
    expect(condition(md, 'Reconciling')?.status).toBe('False');
    expect(condition(md, 'Stalled')?.status).toBe('False');
    for (const kind of ['deployment', 'service']) {
      const child = await getJson<Owned>([kind, 'iris-tiny', '-n', ns]);
      expect(child.metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'ModelDeployment',
          uid: md.metadata.uid,
          controller: true,
        }),
      ]);
    }
    const pods = await getJson<{ items: { status: { phase: string } }[] }>([
      'pods',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/instance=iris-tiny',
    ]);
    expect(pods.items.map((p) => p.status.phase)).toEqual(['Running']);
    const table = await kOk(['get', 'mdep', 'iris-tiny', '-n', ns]);
    expect(table).toMatch(/NAME\s+MODEL\s+VERSION\s+READY\s+REPLICAS\s+CANARY\s+AGE/);
    expect(table).toMatch(/iris-tiny\s+iris-tiny\s+1\s+True\s+1\s+\d+s/);
  });

  it('rolls out a new model version: Progressing, then Ready on the new version', async () => {
    await kOk([
      'patch',
      'mdep',
      'iris-tiny',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"model":{"version":"2"}}}',
    ]);
    const md = await ready('iris-tiny', (m) => m.status?.stable?.version === '2');
    expect(condition(md, 'Progressing')?.reason).toBe('RolloutComplete');
    const dep = await getJson<Deployment>(['deployment', 'iris-tiny', '-n', ns]);
    const env = dep.spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'MODEL_VERSION')?.value).toBe('2');
    const events = await kOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=iris-tiny',
      '-o',
      'json',
    ]);
    expect(events).toContain('RollingUpdate');
  });

  it('scales through the scale subresource', async () => {
    await kOk(['scale', 'mdep/iris-tiny', '-n', ns, '--replicas=3']);
    const md = await ready('iris-tiny', (m) => m.status?.readyReplicas === 3);
    expect(md.status?.replicas).toBe(3);
    expect(md.status?.selector).toContain('app.kubernetes.io/instance=iris-tiny');
    const dep = await getJson<Deployment>(['deployment', 'iris-tiny', '-n', ns]);
    expect(dep.spec.replicas).toBe(3);
  });

  it('puts back a child someone edited by hand', async () => {
    await kOk(['set', 'image', 'deployment/iris-tiny', '-n', ns, 'runtime=evil/image:1']);
    await kOk(['label', 'service', 'iris-tiny', '-n', ns, 'app.kubernetes.io/managed-by-']);
    await eventually('image and label restored', async () => {
      const dep = await getJson<Deployment>(['deployment', 'iris-tiny', '-n', ns]);
      const svc = await getJson<Owned>(['service', 'iris-tiny', '-n', ns]);
      const restored =
        dep.spec.template.spec.containers[0]?.image === 'modeldeploy/runtime:test' &&
        svc.metadata.labels?.['app.kubernetes.io/managed-by'] === 'modeldeploy-operator';
      return restored ? true : undefined;
    });
  });

  it('makes no API write when a resync finds nothing to change', async () => {
    await ready('iris-tiny', (m) => m.status?.readyReplicas === 3);
    // Let the hand-edit repairs and their status updates settle: no write for 3 s.
    let last = -1;
    await eventually('writes to settle', async () => {
      const now = await op.writes();
      const settled = now === last;
      last = now;
      await new Promise((r) => setTimeout(r, 3000));
      return settled ? true : undefined;
    });
    const before = await op.writes();
    const logsBefore = op.logs.length;
    const reconcilesBefore = await op.counter('controller_runtime_reconcile_total');
    // RESYNC_SECONDS=10: wait for at least one periodic resync of every resource.
    await eventually(
      'a resync',
      async () =>
        (await op.counter('controller_runtime_reconcile_total')) > reconcilesBefore + 1
          ? true
          : undefined,
      30_000,
    );
    const after = await op.writes();
    if (after !== before)
      process.stderr.write(`writes during resync:\n${op.tail(op.logs.length - logsBefore + 10)}\n`);
    expect(after).toBe(before);
  });

  it('reports a missing Secret as Degraded with an Event, then becomes Ready when it appears', async () => {
    const manifest = `
apiVersion: modeldeploy.io/v1alpha1
kind: ModelDeployment
metadata: { name: guarded }
spec:
  model: { version: "1", uri: "https://models.example/m.onnx" }
  auth: { apiKeySecretRef: { name: guarded-keys } }
`;
    await kOk(['apply', '-n', ns, '-f', '-'], manifest);
    const degraded = await eventually('Degraded=True SecretNotFound', async () => {
      const md = await mdep('guarded');
      return condition(md, 'Degraded')?.reason === 'SecretNotFound' ? md : undefined;
    });
    expect(condition(degraded, 'Degraded')?.message).toContain('guarded-keys');
    expect(condition(degraded, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
    expect(condition(degraded, 'Reconciling')?.status).toBe('True');
    await eventually('a SecretNotFound event', async () => {
      const out = await kOk([
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'involvedObject.name=guarded,reason=SecretNotFound',
        '-o',
        'name',
      ]);
      return out.trim() ? true : undefined;
    });
    await kOk([
      'create',
      'secret',
      'generic',
      'guarded-keys',
      '-n',
      ns,
      '--from-literal=api-keys=k1',
    ]);
    const md = await ready('guarded');
    expect(condition(md, 'Degraded')?.status).toBe('False');
    const dep = await getJson<Deployment>(['deployment', 'guarded', '-n', ns]);
    const env = dep.spec.template.spec.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'API_KEYS_FILE')?.value).toBe(
      '/etc/modeldeploy/api-keys/api-keys',
    );
  });

  it('reports a child the API server refuses (requests above limits) as Stalled with its message', async () => {
    const manifest = `
apiVersion: modeldeploy.io/v1alpha1
kind: ModelDeployment
metadata: { name: greedy }
spec:
  model: { version: "1", uri: "https://models.example/m.onnx" }
  runtime: { resources: { requests: { cpu: 100m }, limits: { cpu: 60m } } }
`;
    await kOk(['apply', '-n', ns, '-f', '-'], manifest);
    const md = await eventually('Stalled=True ChildRejected', async () => {
      const m = await mdep('greedy');
      return condition(m, 'Stalled')?.reason === 'ChildRejected' ? m : undefined;
    });
    expect(condition(md, 'Stalled')?.message).toContain('Deployment greedy');
    expect(condition(md, 'Stalled')?.message).toMatch(/limit/);
    expect(condition(md, 'Ready')?.status).toBe('False');
    await kOk(['delete', 'mdep', 'greedy', '-n', ns]);
  });

  it('serves examples/full.yaml: HPA without replica fights, PDB, canary track', async () => {
    await kOk(['apply', '-n', ns, '-f', '-'], example('full.yaml'));
    await eventually('HPA, PDB and canary Deployment', async () => {
      const names = await kOk([
        'get',
        'hpa,pdb,deployment',
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/instance=scorer',
        '-o',
        'name',
      ]);
      const want = [
        'horizontalpodautoscaler.autoscaling/scorer',
        'poddisruptionbudget.policy/scorer',
        'deployment.apps/scorer',
        'deployment.apps/scorer-canary',
      ];
      return want.every((w) => names.includes(w)) ? true : undefined;
    });
    const applied = await kOk([
      'get',
      'deployment',
      'scorer',
      '-n',
      ns,
      '--show-managed-fields',
      '-o',
      'json',
    ]);
    const managed = JSON.parse(applied) as {
      metadata: {
        managedFields: { manager: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[];
      };
    };
    const ours = managed.metadata.managedFields.find((f) => f.manager === 'modeldeploy-operator');
    expect(ours?.fieldsV1?.['f:spec']).toBeDefined();
    expect(ours?.fieldsV1?.['f:spec']).not.toHaveProperty('f:replicas');
    const md = await eventually('canary status', async () => {
      const m = await mdep('scorer');
      return m.status?.canary?.phase ? m : undefined;
    });
    expect(['Verifying', 'Progressing']).toContain(md.status?.canary?.phase);
  });

  it('deletes the HPA when autoscaling is removed from the spec', async () => {
    await kOk([
      'patch',
      'mdep',
      'scorer',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/autoscaling"}]',
    ]);
    await eventually('HPA gone', async () => {
      const res = await k(['get', 'hpa', 'scorer', '-n', ns]);
      return res.code !== 0 && res.stderr.includes('NotFound') ? true : undefined;
    });
  });

  it('leaves children to the garbage collector when the ModelDeployment is deleted', async () => {
    await kOk(['delete', 'mdep', 'iris-tiny', '-n', ns]);
    await eventually('children of iris-tiny collected', async () => {
      const out = await kOk([
        'get',
        'deployment,service',
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/instance=iris-tiny',
        '-o',
        'name',
      ]);
      return out.trim() === '' ? true : undefined;
    });
  });
});
