import { describe, expect, it } from 'vitest';
import { clusterAccessFrom, type KubeconfigFile } from './kubeconfig.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function file(path: string, text: string): KubeconfigFile {
  return { path, text };
}

const CERT_CONFIG = `
apiVersion: v1
kind: Config
current-context: admin
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:6443
      certificate-authority-data: ${b64('CA PEM')}
users:
  - name: admin
    user:
      client-certificate-data: ${b64('CERT PEM')}
      client-key-data: ${b64('KEY PEM')}
  - name: robot
    user:
      tokenFile: secrets/token
contexts:
  - name: admin
    context: { cluster: local, user: admin }
  - name: robot
    context: { cluster: local, user: robot }
`;

describe('clusterAccessFrom', () => {
  it('reads the current context: server, inline CA and client certificate', () => {
    const access = clusterAccessFrom([file('/home/u/.kube/config', CERT_CONFIG)]);
    expect(access.server.href).toBe('https://127.0.0.1:6443/');
    expect(access.ca).toEqual({ data: Buffer.from('CA PEM') });
    expect(access.clientCert).toEqual({ data: Buffer.from('CERT PEM') });
    expect(access.clientKey).toEqual({ data: Buffer.from('KEY PEM') });
    expect(access.credential).toEqual({ kind: 'none' });
    expect(access.insecureSkipTlsVerify).toBe(false);
  });

  it('resolves file references against the kubeconfig file directory', () => {
    const access = clusterAccessFrom([file('/home/u/.kube/config', CERT_CONFIG)], 'robot');
    expect(access.credential).toEqual({
      kind: 'token',
      token: { file: '/home/u/.kube/secrets/token' },
    });
  });

  it('prefers -data over the path form, as client-go does', () => {
    const text = `
current-context: c
clusters: [{ name: k, cluster: { server: 'https://k:6443', certificate-authority: ca.crt, certificate-authority-data: ${b64('INLINE')} } }]
users: [{ name: u, user: { token: abc } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`;
    const access = clusterAccessFrom([file('/etc/kube/config', text)]);
    expect(access.ca).toEqual({ data: Buffer.from('INLINE') });
    expect(access.credential).toEqual({ kind: 'token', token: { data: Buffer.from('abc') } });
  });

  it('merges several files: the first to define a name or current-context wins', () => {
    const first = `
current-context: second-ctx
clusters: [{ name: k, cluster: { server: 'https://first:6443' } }]
`;
    const second = `
current-context: ignored
clusters: [{ name: k, cluster: { server: 'https://second:6443' } }]
users: [{ name: u, user: { username: alice, password: secret } }]
contexts: [{ name: second-ctx, context: { cluster: k, user: u } }]
`;
    const access = clusterAccessFrom([file('/a/config', first), file('/b/config', second)]);
    expect(access.server.host).toBe('first:6443');
    expect(access.credential).toEqual({ kind: 'basic', username: 'alice', password: 'secret' });
  });

  it('marks exec and auth-provider users as plugins', () => {
    const text = `
current-context: c
clusters: [{ name: k, cluster: { server: 'https://k', insecure-skip-tls-verify: true, tls-server-name: api.internal } }]
users: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: aws } } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`;
    const access = clusterAccessFrom([file('/k', text)]);
    expect(access.credential).toEqual({ kind: 'plugin', plugin: 'exec' });
    expect(access.insecureSkipTlsVerify).toBe(true);
    expect(access.tlsServerName).toBe('api.internal');
  });

  it.each([
    ['no current context', 'clusters: []', /has no current-context/],
    ['an unknown context', 'current-context: nope', /has no context named 'nope'/],
    [
      'a context naming a missing cluster',
      'current-context: c\ncontexts: [{ name: c, context: { cluster: gone } }]',
      /names a missing cluster 'gone'/,
    ],
    [
      'a cluster without a server',
      'current-context: c\nclusters: [{ name: k, cluster: {} }]\ncontexts: [{ name: c, context: { cluster: k } }]',
      /has no server address/,
    ],
    [
      'a server that is not a URL',
      "current-context: c\nclusters: [{ name: k, cluster: { server: 'not a url' } }]\ncontexts: [{ name: c, context: { cluster: k } }]",
      /server 'not a url' is not a URL/,
    ],
    ['YAML that does not parse', 'clusters: [', /is not valid YAML/],
    ['a list at the top', '- a\n- b', /expected a mapping at the top/],
  ])('refuses %s with a message naming the file', (_what, text, message) => {
    expect(() => clusterAccessFrom([file('/cfg/kubeconfig', text)])).toThrow(message);
    expect(() => clusterAccessFrom([file('/cfg/kubeconfig', text)])).toThrow(/\/cfg\/kubeconfig/);
  });
});
