/**
 * `npm start -- --context NAME` against the harness cluster, which stands in for a cluster
 * the user already has: it refuses, before changing anything, a context that is not in the
 * kubeconfig, one whose API server does not answer, and one whose user RBAC forbids to
 * create CustomResourceDefinitions; and --cleanup leaves alone what it did not install.
 * The entry is scripts/local-up.ts, as scripts/start.sh runs it (after set-up).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { serviceAccountKubeconfig } from '../../cluster/service-account.js';
import { createNamespace, k } from '../cluster/cluster-kit.js';
import { runProcess, type PluginResult } from '../cli/mdep-plugin.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Contexts "admin" (the harness admin), "limited" (a ServiceAccount without any binding)
 * and "gone" (the admin's credentials at a closed port); the current context is admin, so
 * a run that ignored --context would not be refused.
 */
function contexts(adminText: string, limitedText: string, deadPort: number): string {
  const admin = parse(adminText) as Kubeconfig;
  const limited = parse(limitedText) as Kubeconfig;
  const cluster = admin.clusters[0]?.cluster;
  if (!cluster || !admin.users[0] || !limited.users[0]) throw new Error('unexpected kubeconfig');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'test', cluster },
      { name: 'dead', cluster: { ...cluster, server: `https://127.0.0.1:${deadPort}` } },
    ],
    users: [
      { name: 'admin', user: admin.users[0].user },
      { name: 'limited', user: limited.users[0].user },
    ],
    contexts: [
      { name: 'admin', context: { cluster: 'test', user: 'admin' } },
      { name: 'limited', context: { cluster: 'test', user: 'limited' } },
      { name: 'gone', context: { cluster: 'dead', user: 'admin' } },
    ],
    'current-context': 'admin',
  });
}

describe('npm start -- --context NAME on a cluster the user already has', () => {
  let dir = '';
  let kubeconfig = '';
  let ns = '';

  const start = (args: readonly string[]): Promise<PluginResult> =>
    runProcess(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'scripts', 'local-up.ts'), ...args],
      {
        KUBECONFIG: kubeconfig,
        // The harness's tools dir, so build-tools.sh is not even asked.
        MODELDEPLOY_CLUSTER_TOOLS: dirname(inject('binDir')),
      },
    );

  /** What a refused run must not have created. */
  async function nothingInstalled(): Promise<void> {
    const system = await k([
      'get',
      'namespace',
      'modeldeploy-system',
      '--ignore-not-found',
      '-o',
      'name',
    ]);
    expect(system.stdout.trim()).toBe('');
    const examples = await k([
      'get',
      'namespace',
      'modeldeploy-examples',
      '--ignore-not-found',
      '-o',
      'name',
    ]);
    expect(examples.stdout.trim()).toBe('');
  }

  beforeAll(async () => {
    ns = await createNamespace('npm-start');
    const limited = await serviceAccountKubeconfig(inject('kubeconfig'), ns, 'no-rights');
    dir = mkdtempSync(join(tmpdir(), 'modeldeploy-npm-start-context-'));
    kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      contexts(inject('kubeconfig'), limited.kubeconfig, await closedPort()),
      {
        mode: 0o600,
      },
    );
  });

  afterAll(async () => {
    if (ns !== '') await k(['delete', 'namespace', ns, '--wait=false']);
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a context whose API server does not answer, and installs nothing', async () => {
    const res = await start(['--context', 'gone']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/context gone does not answer: .*127\.0\.0\.1/);
    expect(res.stderr).toMatch(
      /Nothing was installed\. Check it with: kubectl --context gone cluster-info/,
    );
    await nothingInstalled();
  });

  it('refuses a context that is not in the kubeconfig', async () => {
    const res = await start(['--context', 'no-such-context']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/context no-such-context does not answer: .*no-such-context/);
    await nothingInstalled();
  });

  it('refuses a user RBAC forbids to create CRDs (SelfSubjectAccessReview), and installs nothing', async () => {
    const res = await start(['--context', 'limited']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /the user of context limited may not create CustomResourceDefinitions \(SelfSubjectAccessReview says no\)/,
    );
    expect(res.stderr).toMatch(/Nothing was installed/);
    await nothingInstalled();
  });

  it('--cleanup removes nothing it did not install (the CRD the cluster already had stays)', async () => {
    const res = await start(['--context', 'admin', '--cleanup']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/nothing to remove: no modeldeploy-system\/modeldeploy-npm-start/);
    const crd = await k(['get', 'crd', 'modeldeployments.modeldeploy.io', '-o', 'name']);
    expect(crd.code).toBe(0);
  });
});
