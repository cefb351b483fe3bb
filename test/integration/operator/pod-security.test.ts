/**
 * docs/security.md says ModelDeployments run in namespaces that enforce the restricted Pod
 * Security Standard. The API server's PodSecurity admission applies to every pod the
 * ReplicaSet controller creates, kwok node or not, so a runtime pod spec that broke the
 * standard would leave the Deployment without pods here.
 */
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

interface MDep {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
    stable?: { readyReplicas?: number };
  };
}
interface PodList {
  items: { metadata: { name: string }; status: { phase: string } }[];
}

const example = readFileSync(new URL('../../../examples/minimal.yaml', import.meta.url), 'utf8');

/** A pod with no security settings at all: what the restricted standard exists to refuse. */
const unhardenedPod = `
apiVersion: v1
kind: Pod
metadata: { name: unhardened }
spec:
  containers: [{ name: c, image: modeldeploy/runtime:any }]
`;

describe('a namespace enforcing the restricted Pod Security Standard', () => {
  let ns = '';
  let op: OperatorProcess | undefined;

  beforeAll(async () => {
    ns = await createNamespace('pss');
    await kOk([
      'label',
      'namespace',
      ns,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/enforce-version=latest',
    ]);
    op = await startOperatorFor(ns);
  });

  afterAll(async () => {
    const code = await op?.stop();
    await k(['delete', 'namespace', ns, '--wait=false']);
    expect(code).toBe(0);
  });

  it('refuses a pod without the restricted settings (the admission is really on)', async () => {
    const res = await k(['apply', '--dry-run=server', '-n', ns, '-f', '-'], unhardenedPod);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  it('admits the runtime pods of examples/minimal.yaml, which become Ready', async () => {
    await kOk(['apply', '-n', ns, '-f', '-'], example);
    const md = await eventually(
      'iris-tiny Ready=True at its generation',
      async () => {
        const m = await getJson<MDep>(['modeldeployment', 'iris-tiny', '-n', ns]);
        const ready = m.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return ready && m.status?.observedGeneration === m.metadata.generation ? m : undefined;
      },
      120_000,
    );
    expect(md.status?.stable?.readyReplicas).toBe(1);
    const pods = await getJson<PodList>([
      'pods',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/instance=iris-tiny',
    ]);
    expect(pods.items.map((p) => p.status.phase)).toEqual(['Running']);
    const refused = await kOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'reason=FailedCreate',
      '-o',
      'name',
    ]);
    expect(refused.trim()).toBe('');
  });
});
