import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCluster } from '../../cluster/harness.js';
import { kubectl } from '../../cluster/kubectl.js';
import { isAlive } from '../../cluster/processes.js';
import { serviceAccountKubeconfig } from '../../cluster/service-account.js';
import { createNamespace, k, kOk, kubectlBin } from './cluster-kit.js';

describe('cluster harness', () => {
  let ns = '';
  beforeAll(async () => {
    ns = await createNamespace('harness');
  });
  afterAll(async () => {
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('runs the pinned Kubernetes release, reported by /version', async () => {
    const versions = JSON.parse(
      readFileSync(join(inject('binDir'), '..', 'versions.json'), 'utf8'),
    ) as { kubernetes: string };
    const out = JSON.parse(await kOk(['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
      clientVersion: { gitVersion: string };
    };
    expect(out.serverVersion.gitVersion).toBe(versions.kubernetes);
    expect(out.clientVersion.gitVersion).toBe(versions.kubernetes);
  });

  it('acts as a ServiceAccount that RBAC limits to what it was granted', async () => {
    const sa = await serviceAccountKubeconfig(inject('kubeconfig'), ns, 'limited');
    const dir = mkdtempSync(join(tmpdir(), 'sa-kubeconfig-'));
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, sa.kubeconfig, { mode: 0o600 });
    try {
      const asSa = (args: string[]): ReturnType<typeof kubectl> =>
        kubectl(kubectlBin(), path, args);
      const whoami = await asSa(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
      expect(whoami.stdout).toBe(`system:serviceaccount:${ns}:limited`);

      const denied = await asSa(['-n', ns, 'get', 'configmaps']);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/forbidden/i);

      await kOk([
        '-n',
        ns,
        'create',
        'role',
        'read-cm',
        '--verb=get,list',
        '--resource=configmaps',
      ]);
      await kOk([
        '-n',
        ns,
        'create',
        'rolebinding',
        'read-cm',
        '--role=read-cm',
        `--serviceaccount=${ns}:limited`,
      ]);
      const allowed = await asSa(['-n', ns, 'get', 'configmaps']);
      expect(allowed.stderr).toBe('');
      expect(allowed.code).toBe(0);
      // Still nothing beyond the grant.
      const other = await asSa(['-n', ns, 'get', 'secrets']);
      expect(other.stderr).toMatch(/forbidden/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a second cluster runs beside the shared one, survives an API server restart, and leaves nothing behind', async () => {
    const cluster = await startCluster({ crdFiles: [], gatewayApi: false });
    const pids = cluster.pids();
    try {
      expect(cluster.server).not.toBe(inject('server'));
      expect(pids.length).toBe(5);
      expect(
        (await cluster.kubectl(['create', 'configmap', 'kept', '--from-literal=a=1'])).code,
      ).toBe(0);
      await cluster.restartApiServer();
      const got = await cluster.kubectl(['get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}']);
      expect(got.stdout).toBe('1');
      expect(cluster.pids().length).toBe(5);
    } finally {
      await cluster.stop();
    }
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(cluster.tempDir)).toBe(false);
  });
});
