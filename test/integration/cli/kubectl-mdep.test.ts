/**
 * The kubectl plugin against the real API server: the executable the package installs,
 * the kubeconfig rules kubectl follows, a canary rollout the operator (as the chart's
 * ServiceAccount) is driving, the spec edits of each verb, and the errors a user meets.
 * Pods run on kwok nodes, so inference through the service proxy is covered by the
 * real-node suite; here predict is checked up to the proxy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { serviceAccountKubeconfig } from '../../cluster/service-account.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  kubectlBin,
  startOperatorFor,
} from '../cluster/cluster-kit.js';
import { BIN_DIR, mdep, runProcess } from './mdep-plugin.js';

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
}
interface MDep {
  spec: { paused?: boolean; canary?: { promote?: boolean; abort?: boolean } };
  status?: { canary?: { phase?: string; weight?: number; step?: number } };
}

function canaryMd(name: string, steps: { weight: number; pauseSeconds: number }[]): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name },
    spec: {
      model: { name: 'scorer', version: '1', uri: 'https://models.example/v1.onnx' },
      replicas: 4,
      canary: { model: { version: '2', uri: 'https://models.example/v2.onnx' }, steps },
    },
  });
}

/**
 * One kubeconfig with two contexts on the test cluster: "admin" (namespace set in the
 * context) and "viewer" (a ServiceAccount that may only read ModelDeployments), current.
 */
function twoContexts(adminText: string, viewerText: string, namespace: string): string {
  const admin = parse(adminText) as Kubeconfig;
  const viewer = parse(viewerText) as Kubeconfig;
  const cluster = admin.clusters[0];
  if (!cluster || !admin.users[0] || !viewer.users[0])
    throw new Error('unexpected kubeconfig shape');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: cluster.cluster }],
    users: [
      { name: 'admin', user: admin.users[0].user },
      { name: 'viewer', user: viewer.users[0].user },
    ],
    contexts: [
      { name: 'admin', context: { cluster: 'test', user: 'admin', namespace } },
      { name: 'viewer', context: { cluster: 'test', user: 'viewer', namespace } },
    ],
    'current-context': 'viewer',
  });
}

describe('kubectl mdep', () => {
  let ns = '';
  let dir = '';
  let kubeconfig = '';
  let op: OperatorProcess | undefined;
  const md = (name: string): Promise<MDep> => getJson<MDep>(['mdep', name, '-n', ns]);
  const admin = (args: string[], stdin?: string) =>
    mdep(kubeconfig, ['--context', 'admin', ...args], stdin);

  beforeAll(async () => {
    ns = await createNamespace('mdep');
    const viewer = await serviceAccountKubeconfig(inject('kubeconfig'), ns, 'viewer');
    await kOk([
      '-n',
      ns,
      'create',
      'role',
      'read-mdep',
      '--verb=get,list',
      '--resource=modeldeployments.modeldeploy.io',
    ]);
    await kOk([
      '-n',
      ns,
      'create',
      'rolebinding',
      'read-mdep',
      '--role=read-mdep',
      `--serviceaccount=${ns}:viewer`,
    ]);
    dir = mkdtempSync(join(tmpdir(), 'mdep-kubeconfig-'));
    kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, twoContexts(inject('kubeconfig'), viewer.kubeconfig, ns), {
      mode: 0o600,
    });
    op = await startOperatorFor(ns);
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      canaryMd('ranker', [
        { weight: 25, pauseSeconds: 3600 },
        { weight: 50, pauseSeconds: 3600 },
      ]),
    );
    await eventually(
      'ranker at step 1 with 25 % of the traffic',
      async () => {
        const got = await md('ranker');
        return got.status?.canary?.phase === 'Progressing' && got.status.canary.weight === 25
          ? got
          : undefined;
      },
      90_000,
    );
  }, 180_000);

  afterAll(async () => {
    await op?.stop();
    await k(['delete', 'namespace', ns, '--wait=false']);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('get draws the canary in progress: step, both tracks with version, pods and real traffic, conditions', async () => {
    const res = await admin(['get', 'ranker']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = res.stdout;
    expect(out.split('\n')[0]).toBe(`ModelDeployment ${ns}/ranker (model scorer)`);
    expect(out).toContain('Status:   Rolling out (Progressing)');
    expect(out).toContain('Rollout:  Progressing → 2  step 1/2 (weight 25 %)');
    expect(out).toContain('Analysis: not configured (steps advance on time alone)');
    expect(out).toMatch(/stable +1 +pods 3\/3 ready +traffic 75 % +Deployment ranker\n/);
    expect(out).toMatch(/canary +2 +pods 1\/1 ready +traffic 25 % +Deployment ranker-canary\n/);
    expect(out).toMatch(/Progressing=True \w+/);
  });

  it('runs as a kubectl plugin: kubectl finds kubectl-mdep on PATH', async () => {
    const res = await runProcess(kubectlBin(), ['mdep', 'get', 'ranker', '--context', 'admin'], {
      KUBECONFIG: kubeconfig,
      PATH: `${BIN_DIR}:${process.env.PATH ?? ''}`,
    });
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('Rollout:  Progressing → 2  step 1/2 (weight 25 %)');
  });

  it("follows kubectl's kubeconfig rules: current-context, --context, the context namespace, -n, --kubeconfig", async () => {
    // current-context is the viewer, who may read ModelDeployments but not Deployments.
    const asViewer = await mdep(kubeconfig, ['get', 'ranker']);
    expect(asViewer.code).toBe(0);
    expect(asViewer.stdout).toMatch(/stable +1 +pods 3\/3 ready +traffic 75 % +no Deployment\n/);
    const elsewhere = await mdep(kubeconfig, ['get', 'ranker', '-n', 'default']);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(
      /^error: forbidden: your identity may not get modeldeployments.modeldeploy.io in namespace "default" \(context viewer\)/,
    );
    const viaFlag = await runProcess(
      join(BIN_DIR, 'kubectl-mdep'),
      ['get', 'ranker', '--kubeconfig', kubeconfig, '--context', 'admin'],
      {
        KUBECONFIG: '/nonexistent',
      },
    );
    expect(viaFlag.code).toBe(0);
    const unknown = await mdep(kubeconfig, ['get', 'ranker', '--context', 'prod']);
    expect(unknown.stderr).toBe(
      'error: context "prod" is not in the kubeconfig (contexts: admin, viewer)\n',
    );
  });

  it('says what is not found, and what RBAC forbids, with exit code 1', async () => {
    const missing = await admin(['get', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `error: modeldeployments.modeldeploy.io "nope" not found in namespace "${ns}" (context admin); list them with: kubectl get modeldeployments.modeldeploy.io -n ${ns}\n`,
    );
    const denied = await mdep(kubeconfig, ['promote', 'ranker']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /^error: forbidden: your identity may not patch modeldeployments.modeldeploy.io in namespace/,
    );
    expect(denied.stderr).toMatch(new RegExp(`system:serviceaccount:${ns}:viewer`));
    expect((await md('ranker')).spec.canary?.promote).not.toBe(true);
  });

  it('pause and resume set spec.paused; a GitOps label adds a warning that the next sync reverts it', async () => {
    const paused = await admin(['pause', 'ranker']);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/ranker paused: spec.paused set to true/);
    expect(paused.stderr).toBe('');
    expect((await md('ranker')).spec.paused).toBe(true);
    const again = await admin(['pause', 'ranker']);
    expect(again.stdout).toMatch(/already paused/);
    const watched = await admin(['watch', 'ranker', '--timeout', '60s', '--interval', '1s']);
    expect(watched.code).toBe(4);
    expect(watched.stdout).toMatch(/stopped: paused \(spec.paused\)/);

    await kOk([
      '-n',
      ns,
      'label',
      'mdep',
      'ranker',
      'kustomize.toolkit.fluxcd.io/name=apps',
      'kustomize.toolkit.fluxcd.io/namespace=flux-system',
    ]);
    const resumed = await admin(['resume', 'ranker']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toBe(
      'warning: ranker is managed by Flux (Kustomization flux-system/apps); its next sync reverts spec.paused unless the same change is made in Git\n',
    );
    expect((await md('ranker')).spec.paused).toBe(false);
    await kOk([
      '-n',
      ns,
      'label',
      'mdep',
      'ranker',
      'kustomize.toolkit.fluxcd.io/name-',
      'kustomize.toolkit.fluxcd.io/namespace-',
    ]);
  });

  it('predict refuses a version no track serves and reports the service proxy when no pod answers', async () => {
    const request = JSON.stringify({ inputs: { input: [[0.5]] } });
    const wrong = await admin(['predict', 'ranker', '-f', '-', '--version', '9'], request);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      'error: no such version: ranker serves 1 (stable), 2 (canary), not 9\n',
    );
    // kwok pods have no process behind their IPs: the proxy itself answers.
    const unreachable = await admin(['predict', 'ranker', '-f', '-'], request);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /^error: POST \/predict on Service ranker answered HTTP \d+ from the service proxy: /,
    );
    const denied = await mdep(kubeconfig, ['predict', 'ranker', '-f', '-'], request);
    expect(denied.stderr).toMatch(
      /^error: forbidden: your identity may not create services\/proxy in namespace/,
    );
  });

  it('promote sets spec.canary.promote and watch exits 0 once the operator has promoted', async () => {
    const res = await admin(['promote', 'ranker']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /spec.canary.promote set to true; 2 skips its remaining steps and analysis/,
    );
    expect((await md('ranker')).spec.canary?.promote).toBe(true);
    const watched = await admin(['watch', 'ranker', '--timeout', '90s', '--interval', '1s']);
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/settled: promoted 2\n$/);
    expect((await md('ranker')).status?.canary?.phase).toBe('Promoted');
  });

  it('abort sets spec.canary.abort, watch exits 2, and promote is then refused', async () => {
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      canaryMd('second', [{ weight: 25, pauseSeconds: 3600 }]),
    );
    await eventually(
      'second rolling out',
      async () => ((await md('second')).status?.canary?.phase ? true : undefined),
      60_000,
    );
    const res = await admin(['abort', 'second']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/spec.canary.abort set to true; all traffic returns to stable 1/);
    expect((await md('second')).spec.canary?.abort).toBe(true);
    const watched = await admin(['watch', 'second', '--timeout', '90s', '--interval', '1s']);
    expect(watched.code).toBe(2);
    expect(watched.stdout).toMatch(/stopped: rollout aborted \(AbortedByUser\)/);
    const promote = await admin(['promote', 'second']);
    expect(promote.code).toBe(1);
    expect(promote.stderr).toMatch(/abort/);
  });
});
