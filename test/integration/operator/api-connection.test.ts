/**
 * The operator's own kubeconfig / in-cluster loading against the real API server: each way
 * a user can point it at a cluster authenticates as the identity it names.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../../operator/src/kube/kube-client.js';
import { loadConnection } from '../../../operator/src/kube/kube-connection.js';
import { clusterAccessFrom } from '../../../operator/src/kube/kubeconfig.js';
import { serviceAccountKubeconfig } from '../../cluster/service-account.js';
import { createNamespace } from '../cluster/cluster-kit.js';

interface SelfSubjectReview {
  status?: { userInfo?: { username?: string } };
}

async function whoAmI(client: KubeClient): Promise<string | undefined> {
  try {
    const review = await client.request<SelfSubjectReview>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username;
  } finally {
    client.close();
  }
}

describe('connecting to the API server', () => {
  let namespace: string;
  let token: string;
  let caPem: Buffer;
  let server: URL;
  const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-connection-'));

  beforeAll(async () => {
    namespace = await createNamespace('conn');
    const creds = await serviceAccountKubeconfig(inject('kubeconfig'), namespace, 'probe');
    token = creds.token;
    const admin = clusterAccessFrom([{ path: 'admin', text: inject('kubeconfig') }]);
    if (!admin.ca || !('data' in admin.ca)) throw new Error('admin kubeconfig has no inline CA');
    caPem = admin.ca.data;
    server = admin.server;
  });

  it('as the admin, from a kubeconfig file with a client certificate', async () => {
    const client = await KubeClient.load(inject('kubeconfigPath'));
    expect(await whoAmI(client)).toMatch(/admin/);
  });

  it('in a pod: the ServiceAccount token and CA from the mounted directory', async () => {
    const sa = mkdtempSync(join(dir, 'sa-'));
    writeFileSync(join(sa, 'token'), token);
    writeFileSync(join(sa, 'ca.crt'), caPem);
    const env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
    const client = new KubeClient(await loadConnection(undefined, env, sa));
    expect(await whoAmI(client)).toBe(`system:serviceaccount:${namespace}:probe`);
  });

  it('with an exec credential plugin, run by @kubernetes/client-node', async () => {
    const credential = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { token },
    });
    const script = join(dir, 'credential-plugin.sh');
    writeFileSync(script, `#!/bin/sh\ncat <<'EOF'\n${credential}\nEOF\n`, { mode: 0o755 });
    const path = join(dir, 'exec-kubeconfig');
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'c',
        clusters: [
          {
            name: 'k',
            cluster: {
              server: server.href,
              'certificate-authority-data': caPem.toString('base64'),
            },
          },
        ],
        users: [
          {
            name: 'u',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command: script,
                interactiveMode: 'Never',
              },
            },
          },
        ],
        contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      }),
    );
    const client = await KubeClient.load(path);
    expect(client.origin).toMatch(/exec plugin/);
    expect(await whoAmI(client)).toBe(`system:serviceaccount:${namespace}:probe`);
  });

  it('refuses a server whose certificate the CA does not sign, saying so', async () => {
    const sa = mkdtempSync(join(dir, 'sa-wrong-ca-'));
    writeFileSync(join(sa, 'token'), token);
    const env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
    // No ca.crt: the system trust store does not know the test cluster's CA.
    const client = new KubeClient(await loadConnection(undefined, env, sa));
    await expect(whoAmI(client)).rejects.toThrow(/certificate/i);
  });
});
