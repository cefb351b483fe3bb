import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  apiserverArgs,
  fakeNode,
  kwokConfig,
  type ClusterLayout,
} from '../../cluster/components.js';
import { buildKubeconfig, parseKubeconfig } from '../../cluster/kubeconfig.js';
import { leafExtensions, subject } from '../../cluster/pki.js';
import { pickFreePorts } from '../../cluster/ports.js';
import { crdsNotEstablished, nodesReady } from '../../cluster/readiness.js';

describe('kubeconfig', () => {
  it('round-trips certificate credentials through YAML', () => {
    const text = buildKubeconfig({
      server: 'https://127.0.0.1:6443',
      caData: Buffer.from('ca'),
      userName: 'admin',
      auth: { kind: 'cert', certData: Buffer.from('cert'), keyData: Buffer.from('key') },
    });
    const creds = parseKubeconfig(text);
    expect(creds.server).toBe('https://127.0.0.1:6443');
    expect(creds.caData.toString()).toBe('ca');
    expect(creds.auth).toEqual({
      kind: 'cert',
      certData: Buffer.from('cert'),
      keyData: Buffer.from('key'),
    });
  });

  it('round-trips a token and keeps the namespace in the context', () => {
    const text = buildKubeconfig({
      server: 'https://127.0.0.1:1',
      caData: Buffer.from('ca'),
      userName: 'system:serviceaccount:ns:sa',
      auth: { kind: 'token', token: 'abc' },
      namespace: 'ns',
    });
    expect(parseKubeconfig(text).auth).toEqual({ kind: 'token', token: 'abc' });
    expect(text).toContain('namespace: ns');
  });

  it('says what is missing in a kubeconfig it cannot use', () => {
    expect(() => parseKubeconfig('apiVersion: v1\ncurrent-context: x\n')).toThrow(
      /no context named x/,
    );
  });
});

describe('pki', () => {
  it('puts the group (O) before the CN, as Kubernetes reads groups from O', () => {
    expect(subject({ commonName: 'admin', organization: 'system:masters' })).toBe(
      '/O=system:masters/CN=admin',
    );
  });

  it('gives a serving certificate serverAuth and all SANs', () => {
    const ext = leafExtensions({
      name: 'x',
      commonName: 'x',
      usage: 'server',
      issuer: 'ca',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    expect(ext).toContain('extendedKeyUsage=serverAuth');
    expect(ext).toContain('subjectAltName=DNS:localhost,IP:127.0.0.1');
  });
});

describe('readiness predicates', () => {
  const node = (name: string, ready: string): unknown => ({
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready }] },
  });
  it('needs every named node Ready', () => {
    const list = { items: [node('a', 'True'), node('b', 'False')] };
    expect(nodesReady(list, ['a'])).toBe(true);
    expect(nodesReady(list, ['a', 'b'])).toBe(false);
    expect(nodesReady(list, ['c'])).toBe(false);
  });
  it('lists CRDs that are not Established', () => {
    const list = {
      items: [
        {
          metadata: { name: 'x' },
          status: { conditions: [{ type: 'Established', status: 'True' }] },
        },
        { metadata: { name: 'y' }, status: {} },
      ],
    };
    expect(crdsNotEstablished(list)).toEqual(['y']);
  });
});

describe('component configuration', () => {
  it('writes kwok stages as documents after a KwokConfiguration', () => {
    const docs = parseAllDocuments(
      kwokConfig(['kind: Stage\nmetadata: {name: a}', 'kind: Stage\n']),
    );
    expect(docs.map((d) => (d.toJS() as { kind: string }).kind)).toEqual([
      'KwokConfiguration',
      'Stage',
      'Stage',
    ]);
  });

  it('marks fake nodes for kwok and leaves them untainted', () => {
    const n = fakeNode({ name: 'n0', cpu: '4', memory: '8Gi', pods: '10' }) as {
      metadata: { annotations: Record<string, string> };
      spec: { taints?: unknown };
    };
    expect(n.metadata.annotations['kwok.x-k8s.io/node']).toBe('fake');
    expect(n.spec.taints).toBeUndefined();
  });

  it('serves the API server on loopback only, with RBAC', () => {
    const layout = {
      pki: new Proxy({}, { get: () => ({ certFile: 'c', keyFile: 'k' }) }),
    } as unknown as ClusterLayout;
    const ports = {
      etcdClient: 1,
      etcdPeer: 2,
      apiserver: 3,
      controllerManager: 4,
      scheduler: 5,
      kwok: 6,
    };
    const args = apiserverArgs(layout, ports);
    expect(args).toContain('--bind-address=127.0.0.1');
    expect(args).toContain('--authorization-mode=Node,RBAC');
    expect(args).toContain('--secure-port=3');
  });
});

describe('ports', () => {
  it('picks distinct free loopback ports', async () => {
    const ports = await pickFreePorts(6);
    expect(new Set(ports).size).toBe(6);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });
});
