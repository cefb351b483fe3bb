import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

/** Where a secret value lives: inline in the kubeconfig, or in a file it names. */
export type Source = { readonly data: Buffer } | { readonly file: string };

/** How requests prove who they are. */
export type Credential =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: Source }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** exec or auth-provider plugins: only @kubernetes/client-node runs those. */
  | { readonly kind: 'plugin'; readonly plugin: 'exec' | 'auth-provider' };

/** Everything needed to reach one API server, as a kubeconfig context describes it. */
export interface ClusterAccess {
  readonly server: URL;
  readonly ca?: Source;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  readonly clientCert?: Source;
  readonly clientKey?: Source;
  readonly credential: Credential;
}

/** One kubeconfig file as read from disk; file references resolve against its directory. */
export interface KubeconfigFile {
  readonly path: string;
  readonly text: string;
}

interface Named<T> {
  name?: string;
  cluster?: T;
  user?: T;
  context?: T;
}

type Fields = Record<string, unknown>;

interface Merged {
  currentContext?: string;
  clusters: Map<string, Fields>;
  users: Map<string, Fields>;
  contexts: Map<string, Fields>;
}

/**
 * Reads the context a client would use from one or more kubeconfig files (KUBECONFIG may
 * list several). As kubectl does, the first file to define a name or current-context wins.
 */
export function clusterAccessFrom(
  files: readonly KubeconfigFile[],
  context?: string,
): ClusterAccess {
  const merged = merge(files);
  const contextName = context ?? merged.currentContext;
  const where = files.map((f) => f.path).join(':');
  if (!contextName)
    throw new Error(
      `kubeconfig ${where} has no current-context; set one with kubectl config use-context`,
    );
  const ctx = merged.contexts.get(contextName);
  if (!ctx) throw new Error(`kubeconfig ${where} has no context named '${contextName}'`);
  const clusterName = str(ctx, 'cluster');
  const cluster = clusterName ? merged.clusters.get(clusterName) : undefined;
  if (!cluster)
    throw new Error(
      `kubeconfig ${where}: context '${contextName}' names a missing cluster '${clusterName ?? ''}'`,
    );
  const userName = str(ctx, 'user');
  const user = (userName ? merged.users.get(userName) : undefined) ?? {};
  return accessFrom(cluster, user, where);
}

function merge(files: readonly KubeconfigFile[]): Merged {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    const doc = parseDocument(file);
    const base = dirname(file.path);
    merged.currentContext ??= str(doc, 'current-context') || undefined;
    addEntries(merged.clusters, doc['clusters'], 'cluster', base);
    addEntries(merged.users, doc['users'], 'user', base);
    addEntries(merged.contexts, doc['contexts'], 'context', base);
  }
  return merged;
}

function parseDocument(file: KubeconfigFile): Fields {
  let doc: unknown;
  try {
    doc = parse(file.text);
  } catch (err) {
    throw new Error(`kubeconfig ${file.path} is not valid YAML: ${String(err)}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`kubeconfig ${file.path} is not a kubeconfig (expected a mapping at the top)`);
  return doc as Fields;
}

function addEntries(
  into: Map<string, Fields>,
  list: unknown,
  key: 'cluster' | 'user' | 'context',
  base: string,
): void {
  if (!Array.isArray(list)) return;
  for (const entry of list as Named<Fields>[]) {
    const body = entry[key];
    if (!entry.name || into.has(entry.name) || !body) continue;
    into.set(entry.name, { ...body, '@base': base });
  }
}

function accessFrom(cluster: Fields, user: Fields, where: string): ClusterAccess {
  const server = str(cluster, 'server');
  if (!server) throw new Error(`kubeconfig ${where}: the cluster has no server address`);
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`kubeconfig ${where}: server '${server}' is not a URL`);
  }
  const plugin = user['exec'] ? 'exec' : user['auth-provider'] ? 'auth-provider' : undefined;
  const tlsServerName = str(cluster, 'tls-server-name');
  const ca = source(cluster, 'certificate-authority');
  const clientCert = source(user, 'client-certificate');
  const clientKey = source(user, 'client-key');
  return {
    server: url,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(ca ? { ca } : {}),
    ...(tlsServerName ? { tlsServerName } : {}),
    ...(clientCert ? { clientCert } : {}),
    ...(clientKey ? { clientKey } : {}),
    credential: plugin ? { kind: 'plugin', plugin } : credentialOf(user),
  };
}

function credentialOf(user: Fields): Credential {
  const token = str(user, 'token');
  if (token) return { kind: 'token', token: { data: Buffer.from(token) } };
  const tokenFile = str(user, 'tokenFile');
  if (tokenFile) return { kind: 'token', token: { file: resolveFrom(user, tokenFile) } };
  const username = str(user, 'username');
  if (username) return { kind: 'basic', username, password: str(user, 'password') ?? '' };
  return { kind: 'none' };
}

/** `<name>-data` (base64) wins over `<name>` (a path), as in client-go. */
function source(fields: Fields, name: string): Source | undefined {
  const data = str(fields, `${name}-data`);
  if (data) return { data: Buffer.from(data, 'base64') };
  const file = str(fields, name);
  return file ? { file: resolveFrom(fields, file) } : undefined;
}

function resolveFrom(fields: Fields, path: string): string {
  return isAbsolute(path) ? path : resolve(str(fields, '@base') ?? '.', path);
}

function str(fields: Fields, key: string): string | undefined {
  const v = fields[key];
  return typeof v === 'string' ? v : undefined;
}
