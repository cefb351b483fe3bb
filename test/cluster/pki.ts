import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Short-lived certificates: a test cluster lives for minutes, a dev cluster for a day. */
const VALIDITY_DAYS = '7';

export interface CertRequest {
  /** File stem: writes <name>.key and <name>.crt. */
  readonly name: string;
  readonly commonName: string;
  /** Becomes the O= field, which Kubernetes reads as the user's groups. */
  readonly organization?: string;
  readonly usage: 'server' | 'client';
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** File stem of the signing CA. */
  readonly issuer: string;
}

export interface KeyPairFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ClusterPki {
  readonly dir: string;
  readonly ca: KeyPairFiles;
  readonly frontProxyCa: KeyPairFiles;
  readonly apiserver: KeyPairFiles;
  readonly frontProxyClient: KeyPairFiles;
  readonly admin: KeyPairFiles;
  readonly controllerManager: KeyPairFiles;
  readonly scheduler: KeyPairFiles;
  readonly kwok: KeyPairFiles;
  /** Service-account token signing key (private) and its public half for verification. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

/** The in-cluster names and the first service IP the API server must answer to. */
export const API_SERVER_SANS = {
  dnsNames: [
    'localhost',
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ],
  ipAddresses: ['127.0.0.1', '10.96.0.1'],
} as const;

/** The X.509 v3 extensions for a leaf certificate, in openssl's extfile syntax. */
export function leafExtensions(req: CertRequest): string {
  const sans = [
    ...(req.dnsNames ?? []).map((d) => `DNS:${d}`),
    ...(req.ipAddresses ?? []).map((ip) => `IP:${ip}`),
  ];
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${req.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
  return lines.join('\n') + '\n';
}

/** openssl's -subj syntax; the organization (group) must come before the CN. */
export function subject(req: Pick<CertRequest, 'commonName' | 'organization'>): string {
  const org = req.organization === undefined ? '' : `/O=${req.organization}`;
  return `${org}/CN=${req.commonName}`;
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `openssl ${args[0] ?? ''} failed: ${message}. The harness needs the openssl CLI (apt-get install openssl).`,
    );
  }
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export async function createCa(
  dir: string,
  name: string,
  commonName: string,
): Promise<KeyPairFiles> {
  const files = { keyFile: join(dir, `${name}.key`), certFile: join(dir, `${name}.crt`) };
  await openssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
    '-days',
    VALIDITY_DAYS,
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyCertSign,cRLSign',
  ]);
  return files;
}

export async function createLeaf(dir: string, req: CertRequest): Promise<KeyPairFiles> {
  const files = { keyFile: join(dir, `${req.name}.key`), certFile: join(dir, `${req.name}.crt`) };
  const csr = join(dir, `${req.name}.csr`);
  const ext = join(dir, `${req.name}.ext`);
  await writeFile(ext, leafExtensions(req));
  await openssl([
    'req',
    '-new',
    ...EC_KEY,
    '-keyout',
    files.keyFile,
    '-out',
    csr,
    '-subj',
    subject(req),
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, `${req.issuer}.crt`),
    '-CAkey',
    join(dir, `${req.issuer}.key`),
    // A random serial per certificate instead of a shared .srl file, so the parallel
    // signings below do not race on it.
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    VALIDITY_DAYS,
    '-extfile',
    ext,
    '-out',
    files.certFile,
  ]);
  return files;
}

/** Everything the control plane needs to run with TLS, client certs and RBAC. */
export async function createClusterPki(dir: string): Promise<ClusterPki> {
  const [ca, frontProxyCa] = await Promise.all([
    createCa(dir, 'ca', 'modeldeploy-test-ca'),
    createCa(dir, 'front-proxy-ca', 'modeldeploy-test-front-proxy-ca'),
  ]);
  const leaf = (req: CertRequest): Promise<KeyPairFiles> => createLeaf(dir, req);
  const [apiserver, frontProxyClient, admin, controllerManager, scheduler, kwok] =
    await Promise.all([
      leaf({
        name: 'apiserver',
        commonName: 'kube-apiserver',
        usage: 'server',
        issuer: 'ca',
        ...API_SERVER_SANS,
      }),
      leaf({
        name: 'front-proxy-client',
        commonName: 'front-proxy-client',
        usage: 'client',
        issuer: 'front-proxy-ca',
      }),
      leaf({
        name: 'admin',
        commonName: 'modeldeploy-admin',
        organization: 'system:masters',
        usage: 'client',
        issuer: 'ca',
      }),
      leaf({
        name: 'controller-manager',
        commonName: 'system:kube-controller-manager',
        usage: 'client',
        issuer: 'ca',
      }),
      leaf({
        name: 'scheduler',
        commonName: 'system:kube-scheduler',
        usage: 'client',
        issuer: 'ca',
      }),
      // kwok writes status for nodes and pods it does not own; it runs as a cluster admin.
      leaf({
        name: 'kwok',
        commonName: 'kwok-controller',
        organization: 'system:masters',
        usage: 'client',
        issuer: 'ca',
      }),
    ]);
  const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await writeFile(serviceAccountKey, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  await writeFile(serviceAccountPub, sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    dir,
    ca,
    frontProxyCa,
    apiserver,
    frontProxyClient,
    admin,
    controllerManager,
    scheduler,
    kwok,
    serviceAccountKey,
    serviceAccountPub,
  };
}

/** Credentials of the real node (real-node.ts) and of the API server towards its kubelet. */
export interface NodePki {
  /** kubelet's client cert: O=system:nodes, CN=system:node:<name> (the Node authorizer). */
  readonly kubeletClient: KeyPairFiles;
  /** kubelet's serving cert, for the node IP the API server dials. */
  readonly kubeletServing: KeyPairFiles;
  /** CN=system:kube-proxy, bound to system:node-proxier by the default RBAC policy. */
  readonly kubeProxy: KeyPairFiles;
  /** The API server's client cert towards kubelets (logs, exec, port-forward). */
  readonly apiserverKubeletClient: KeyPairFiles;
}

/** Sign the node's certificates with the cluster CA already in `pki.dir`. */
export async function createNodePki(
  pki: ClusterPki,
  nodeName: string,
  nodeIp: string,
): Promise<NodePki> {
  const leaf = (req: CertRequest): Promise<KeyPairFiles> => createLeaf(pki.dir, req);
  const [kubeletClient, kubeletServing, kubeProxy, apiserverKubeletClient] = await Promise.all([
    leaf({
      name: 'kubelet-client',
      commonName: `system:node:${nodeName}`,
      organization: 'system:nodes',
      usage: 'client',
      issuer: 'ca',
    }),
    leaf({
      name: 'kubelet-serving',
      commonName: `system:node:${nodeName}`,
      organization: 'system:nodes',
      usage: 'server',
      issuer: 'ca',
      dnsNames: [nodeName],
      ipAddresses: [nodeIp],
    }),
    leaf({ name: 'kube-proxy', commonName: 'system:kube-proxy', usage: 'client', issuer: 'ca' }),
    leaf({
      name: 'apiserver-kubelet-client',
      commonName: 'kube-apiserver-kubelet-client',
      organization: 'system:masters',
      usage: 'client',
      issuer: 'ca',
    }),
  ]);
  return { kubeletClient, kubeletServing, kubeProxy, apiserverKubeletClient };
}

export interface ClientCredentials {
  readonly caData: Buffer;
  readonly certData: Buffer;
  readonly keyData: Buffer;
}

export async function readCredentials(
  caFile: string,
  pair: KeyPairFiles,
): Promise<ClientCredentials> {
  const [caData, certData, keyData] = await Promise.all([
    readFile(caFile),
    readFile(pair.certFile),
    readFile(pair.keyFile),
  ]);
  return { caData, certData, keyData };
}
