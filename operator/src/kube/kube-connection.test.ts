import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerFromFile, loadConnection } from './kube-connection.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'modeldeploy-connection-'));
}

function serviceAccountDir(token: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'token'), `${token}\n`);
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
  return dir;
}

describe('loadConnection', () => {
  it('uses the pod ServiceAccount when no kubeconfig is given', async () => {
    const dir = serviceAccountDir('pod-token');
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    const conn = await loadConnection(undefined, env, dir);
    expect(conn.server.href).toBe('https://10.96.0.1/');
    expect(conn.tls.ca?.toString()).toBe('CA PEM');
    expect(conn.tls.rejectUnauthorized).toBe(true);
    expect(await conn.authorization()).toBe('Bearer pod-token');
    expect(conn.origin).toMatch(/in-cluster/);
  });

  it('brackets an IPv6 service host', async () => {
    const dir = serviceAccountDir('t');
    const env = { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' };
    const conn = await loadConnection(undefined, env, dir);
    expect(conn.server.host).toBe('[fd00::1]:6443');
  });

  it('prefers KUBECONFIG over the ServiceAccount and reads referenced files', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'pki'));
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'FILE CA');
    writeFileSync(join(dir, 'token'), 'file-token');
    const config = join(dir, 'config');
    writeFileSync(
      config,
      `current-context: c
clusters: [{ name: k, cluster: { server: 'https://api.example:6443/prefix', certificate-authority: pki/ca.crt } }]
users: [{ name: u, user: { tokenFile: token } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
    );
    const env = { KUBECONFIG: `${join(dir, 'missing')}:${config}`, KUBERNETES_SERVICE_HOST: 'x' };
    const conn = await loadConnection(undefined, env, serviceAccountDir('pod'));
    expect(conn.server.href).toBe('https://api.example:6443/prefix');
    expect(conn.tls.ca?.toString()).toBe('FILE CA');
    expect(await conn.authorization()).toBe('Bearer file-token');
  });

  it('says what to do when nothing is configured', async () => {
    await expect(loadConnection(undefined, {}, tempDir())).rejects.toThrow(
      /no Kubernetes API server configured: set KUBECONFIG/,
    );
  });

  it('names a kubeconfig that cannot be read', async () => {
    await expect(loadConnection('/nonexistent/kubeconfig', {}, tempDir())).rejects.toThrow(
      /cannot read kubeconfig \/nonexistent\/kubeconfig/,
    );
  });

  it('names a certificate file the kubeconfig points at but that is missing', async () => {
    const dir = tempDir();
    const config = join(dir, 'config');
    writeFileSync(
      config,
      `current-context: c
clusters: [{ name: k, cluster: { server: 'https://k', certificate-authority: nope.crt } }]
contexts: [{ name: c, context: { cluster: k } }]
`,
    );
    await expect(loadConnection(config, {}, dir)).rejects.toThrow(
      new RegExp(`cannot read ${join(dir, 'nope.crt')}`),
    );
  });
});

describe('bearerFromFile', () => {
  it('re-reads a rotated token after a minute, not on every request', async () => {
    const dir = tempDir();
    const path = join(dir, 'token');
    writeFileSync(path, 'first');
    let now = 0;
    const auth = bearerFromFile(path, () => now);
    expect(await auth()).toBe('Bearer first');
    writeFileSync(path, 'second');
    now = 59_000;
    expect(await auth()).toBe('Bearer first');
    now = 60_000;
    expect(await auth()).toBe('Bearer second');
  });
});
