import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNamespace,
  eventually,
  getJson,
  kOk,
  startOperatorFor,
} from '../cluster/cluster-kit.js';
import { KWOK_READY_DELAY_ENV } from '../../cluster/components.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import { kstatusOf, type KstatusStatus } from '../../support/kstatus.js';

// Status as GitOps tools read it: the verdicts below come from sigs.k8s.io/cli-utils'
// kstatus itself (the library Flux, kpt and Helm's watcher use), run on real
// ModelDeployments while kwok pods take seconds to become ready, as model loads do.

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface MDep {
  metadata: { name: string; generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    stable?: { version?: string };
  };
}
interface Dep {
  metadata: { generation: number };
  spec: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

const READY_DELAY = '4s';

function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name },
    spec: {
      model: { version: '1', uri: 'https://models.example/m.onnx' },
      runtime: { env: [{ name: KWOK_READY_DELAY_ENV, value: READY_DELAY }] },
      ...spec,
    },
  });
}

/** The Deployment controller has observed the newest template and every pod runs it, ready. */
function rolledCompletely(dep: Dep): boolean {
  const want = dep.spec.replicas ?? 1;
  const s = dep.status ?? {};
  return (
    s.observedGeneration === dep.metadata.generation &&
    s.replicas === want &&
    s.updatedReplicas === want &&
    (s.readyReplicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

const condition = (md: MDep, type: string): Condition | undefined =>
  md.status?.conditions?.find((c) => c.type === type);

describe('status tells the truth, as kstatus reads it', () => {
  let ns = '';
  let op: OperatorProcess;
  const mdep = (name: string): Promise<MDep> => getJson<MDep>(['modeldeployment', name, '-n', ns]);
  const verdict = async (name: string): Promise<{ md: MDep; status: KstatusStatus }> => {
    const md = await mdep(name);
    const [v] = await kstatusOf([md]);
    if (!v) throw new Error('no verdict');
    return { md, status: v.status };
  };
  const settlesAs = (name: string, want: KstatusStatus, check: (md: MDep) => boolean) =>
    eventually(`${name} ${want}`, async () => {
      const v = await verdict(name);
      return v.status === want && check(v.md) ? v.md : undefined;
    });

  beforeAll(async () => {
    ns = await createNamespace('truth');
    op = await startOperatorFor(ns, { RESYNC_SECONDS: '10' });
  });

  afterAll(async () => {
    await op?.stop();
    if (ns) await kOk(['delete', 'namespace', ns, '--wait=false']);
  });

  it('is never Current, nor Ready for the new generation, before the Deployment rolled', async () => {
    await kOk(['apply', '-n', ns, '-f', '-'], manifest('rolling', { replicas: 2 }));
    await settlesAs('rolling', 'Current', (md) => md.status?.observedGeneration === 1);
    await kOk([
      'patch',
      'mdep',
      'rolling',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"model":{"version":"2"}}}',
    ]);
    const seen = new Set<KstatusStatus>();
    const done = await eventually(
      'rolling Current at generation 2',
      async () => {
        const { md, status } = await verdict('rolling');
        // Read after the verdict: a Deployment rolled then stays rolled, so a verdict of
        // Current that meets an unrolled Deployment here was a false green.
        const dep = await getJson<Dep>(['deployment', 'rolling', '-n', ns]);
        const readyNow =
          condition(md, 'Ready')?.status === 'True' && md.status?.observedGeneration === 2;
        if (md.status?.observedGeneration === 2 || md.metadata.generation === 2) seen.add(status);
        if (status === 'Current' || readyNow) {
          expect(rolledCompletely(dep), JSON.stringify({ status: md.status, dep })).toBe(true);
        }
        return status === 'Current' && md.status?.observedGeneration === 2 ? md : undefined;
      },
      90_000,
      200,
    );
    expect(seen.has('InProgress')).toBe(true);
    expect(done.status?.stable?.version).toBe('2');
  }, 120_000);

  it('reads a model scaled to zero as Current (Ready=True, ScaledToZero)', async () => {
    await kOk(['apply', '-n', ns, '-f', '-'], manifest('zero', { replicas: 0 }));
    const md = await settlesAs('zero', 'Current', (m) => m.status?.observedGeneration === 1);
    expect(condition(md, 'Ready')).toMatchObject({ status: 'True', reason: 'ScaledToZero' });
  });

  it('reads a paused, edited ModelDeployment as Current and names what really runs', async () => {
    await kOk(['apply', '-n', ns, '-f', '-'], manifest('frozen', { replicas: 1 }));
    await settlesAs('frozen', 'Current', (md) => md.status?.observedGeneration === 1);
    await kOk([
      'patch',
      'mdep',
      'frozen',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"paused":true,"model":{"version":"9"}}}',
    ]);
    const md = await settlesAs('frozen', 'Current', (m) => m.status?.observedGeneration === 2);
    expect(condition(md, 'Ready')).toMatchObject({ status: 'True', reason: 'Paused' });
    expect(md.status?.stable?.version).toBe('1');
    const dep = await getJson<Dep & { spec: { template: unknown } }>([
      'deployment',
      'frozen',
      '-n',
      ns,
    ]);
    expect(JSON.stringify(dep.spec.template)).not.toContain('"9"');
  });

  it('reads a missing Secret as InProgress and keeps the serving pods', async () => {
    await kOk(['create', 'secret', 'generic', 'keys', '-n', ns, '--from-literal=api-keys=k1']);
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      manifest('locked', { replicas: 1, auth: { apiKeySecretRef: { name: 'keys' } } }),
    );
    await settlesAs('locked', 'Current', (md) => md.status?.observedGeneration === 1);
    await kOk(['delete', 'secret', 'keys', '-n', ns]);
    const md = await settlesAs(
      'locked',
      'InProgress',
      (m) => condition(m, 'Ready')?.reason === 'SecretNotFound',
    );
    expect(condition(md, 'Reconciling')?.status).toBe('True');
    const dep = await getJson<Dep>(['deployment', 'locked', '-n', ns]);
    expect(dep.spec.replicas).toBe(1);
  });

  it('reads a canary in progress as InProgress, and Current again once it is removed', async () => {
    const canary = {
      model: { version: '2', uri: 'https://models.example/m2.onnx' },
      steps: [{ weight: 50, pauseSeconds: 3600 }],
    };
    await kOk(['apply', '-n', ns, '-f', '-'], manifest('trial', { replicas: 2, canary }));
    const md = await settlesAs('trial', 'InProgress', (m) =>
      JSON.stringify(m.status).includes('"phase":"Progressing"'),
    );
    expect(condition(md, 'Reconciling')?.status).toBe('True');
    await kOk([
      'patch',
      'mdep',
      'trial',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/canary"}]',
    ]);
    await settlesAs('trial', 'Current', (m) => m.status?.observedGeneration === 2);
  });

  it('reads a name taken by a foreign Service as Failed, and leaves that Service alone', async () => {
    await kOk(['create', 'service', 'clusterip', 'taken', '-n', ns, '--tcp=80:8080']);
    await kOk(['apply', '-n', ns, '-f', '-'], manifest('taken', { replicas: 1 }));
    const md = await settlesAs(
      'taken',
      'Failed',
      (m) => condition(m, 'Stalled')?.reason === 'ChildConflict',
    );
    expect(condition(md, 'Stalled')?.message).toContain('Service taken');
    const svc = await getJson<{ metadata: { ownerReferences?: unknown[] } }>([
      'service',
      'taken',
      '-n',
      ns,
    ]);
    expect(svc.metadata.ownerReferences ?? []).toEqual([]);
  });
});
