import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { clusterAccessFrom, type ClusterAccess, type Source } from './kubeconfig.js';

/** TLS settings for the agent that talks to the API server. */
export interface TlsSettings {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** Where the API server is and how each request authenticates. */
export interface KubeConnection {
  readonly server: URL;
  readonly tls: TlsSettings;
  /** The Authorization header for the next request (tokens can rotate), if any. */
  authorization(): Promise<string | undefined>;
  /** Says where the settings came from, for the start-up log and error messages. */
  readonly origin: string;
}

export interface ConnectionEnv {
  readonly KUBECONFIG?: string | undefined;
  readonly KUBERNETES_SERVICE_HOST?: string | undefined;
  readonly KUBERNETES_SERVICE_PORT?: string | undefined;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

// The kubelet rewrites a projected ServiceAccount token well before it expires; client-go
// re-reads the file once a minute, and so do we.
const TOKEN_FILE_REFRESH_MS = 60_000;

/**
 * Finds the API server the way controller-runtime does: an explicit kubeconfig path (or
 * list), then $KUBECONFIG, then the pod's ServiceAccount, then ~/.kube/config.
 *
 * We read kubeconfig ourselves because loading @kubernetes/client-node costs the process
 * about 70 MiB; it is imported only for exec and auth-provider plugins, which it alone runs.
 */
export async function loadConnection(
  kubeconfigPath: string | undefined,
  env: ConnectionEnv = process.env,
  serviceAccountDir: string = SERVICE_ACCOUNT_DIR,
): Promise<KubeConnection> {
  const listed = kubeconfigPath ?? env.KUBECONFIG;
  if (listed) return fromKubeconfig(splitPaths(listed));
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(serviceAccountDir, 'token')))
    return inCluster(env, serviceAccountDir);
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return fromKubeconfig([home]);
  throw new Error(
    'no Kubernetes API server configured: set KUBECONFIG, create ~/.kube/config, or run in a pod with a ServiceAccount token',
  );
}

function splitPaths(list: string): string[] {
  return list.split(delimiter).filter((p) => p.length > 0);
}

async function fromKubeconfig(paths: readonly string[]): Promise<KubeConnection> {
  // kubectl skips listed files that do not exist; all of them missing is an error.
  const present = paths.filter((path) => existsSync(path));
  const files = (present.length > 0 ? present : paths.slice(0, 1)).map((path) => ({
    path,
    text: readKubeconfig(path),
  }));
  const access = clusterAccessFrom(files);
  const origin = `kubeconfig ${paths.join(delimiter)}`;
  if (access.credential.kind === 'plugin')
    return viaClientLibrary(
      files.map((f) => f.path),
      access,
      origin,
    );
  return {
    server: access.server,
    tls: tlsOf(access),
    authorization: authorizationOf(access),
    origin,
  };
}

function readKubeconfig(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${path}: ${String(err)}; check KUBECONFIG`, {
      cause: err,
    });
  }
}

function inCluster(env: ConnectionEnv, dir: string): KubeConnection {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const caPath = join(dir, 'ca.crt');
  return {
    server,
    tls: {
      rejectUnauthorized: true,
      ...(existsSync(caPath) ? { ca: readFileSync(caPath) } : {}),
    },
    authorization: bearerFromFile(join(dir, 'token')),
    origin: `in-cluster ServiceAccount (${dir})`,
  };
}

function tlsOf(access: ClusterAccess): TlsSettings {
  const read = (s: Source | undefined): Buffer | undefined =>
    s === undefined ? undefined : 'data' in s ? s.data : readSecretFile(s.file);
  const ca = read(access.ca);
  const cert = read(access.clientCert);
  const key = read(access.clientKey);
  return {
    rejectUnauthorized: !access.insecureSkipTlsVerify,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(access.tlsServerName ? { servername: access.tlsServerName } : {}),
  };
}

function authorizationOf(access: ClusterAccess): () => Promise<string | undefined> {
  const cred = access.credential;
  switch (cred.kind) {
    case 'token': {
      if ('file' in cred.token) return bearerFromFile(cred.token.file);
      const header = `Bearer ${cred.token.data.toString('utf8').trim()}`;
      return () => Promise.resolve(header);
    }
    case 'basic': {
      const basic = Buffer.from(`${cred.username}:${cred.password}`).toString('base64');
      return () => Promise.resolve(`Basic ${basic}`);
    }
    default:
      return () => Promise.resolve(undefined);
  }
}

/** A bearer token from a file that may be rotated under us. */
export function bearerFromFile(
  path: string,
  now: () => number = Date.now,
): () => Promise<string | undefined> {
  let cached: { header: string; readAt: number } | undefined;
  return () => {
    if (!cached || now() - cached.readAt >= TOKEN_FILE_REFRESH_MS) {
      const token = readSecretFile(path).toString('utf8').trim();
      cached = { header: `Bearer ${token}`, readAt: now() };
    }
    return Promise.resolve(cached.header);
  };
}

function readSecretFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${path}, named by the kubeconfig: ${String(err)}`, {
      cause: err,
    });
  }
}

/** exec and auth-provider users: client-node runs the plugin and caches its token. */
async function viaClientLibrary(
  paths: readonly string[],
  access: ClusterAccess,
  origin: string,
): Promise<KubeConnection> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  for (const path of paths) {
    const one = new KubeConfig();
    one.loadFromFile(path);
    // preserveContext: the first file's current-context wins, as in clusterAccessFrom.
    kc.mergeConfig(one, Boolean(kc.currentContext));
  }
  const plugin = access.credential.kind === 'plugin' ? access.credential.plugin : 'unknown';
  return {
    server: access.server,
    tls: tlsOf(access),
    authorization: async () => {
      const opts: { headers?: Record<string, unknown> } = {};
      await kc.applyToHTTPSOptions(opts);
      const value = opts.headers?.['Authorization'] ?? opts.headers?.['authorization'];
      return typeof value === 'string' ? value : undefined;
    },
    origin: `${origin} (${plugin} plugin run by @kubernetes/client-node)`,
  };
}
