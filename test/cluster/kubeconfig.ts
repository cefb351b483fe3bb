import { parse, stringify } from 'yaml';

/** How a kubeconfig user proves who it is: a client certificate or a bearer token. */
export type UserAuth =
  | { readonly kind: 'cert'; readonly certData: Buffer; readonly keyData: Buffer }
  | { readonly kind: 'token'; readonly token: string };

export interface KubeconfigInput {
  readonly server: string;
  readonly caData: Buffer;
  readonly userName: string;
  readonly auth: UserAuth;
  /** Context and cluster name; `kubectl config current-context` shows it. */
  readonly contextName?: string;
  readonly namespace?: string;
}

const b64 = (data: Buffer): string => data.toString('base64');

function userEntry(auth: UserAuth): Record<string, string> {
  return auth.kind === 'cert'
    ? { 'client-certificate-data': b64(auth.certData), 'client-key-data': b64(auth.keyData) }
    : { token: auth.token };
}

/** A self-contained kubeconfig (all credentials inline), so the string alone is enough. */
export function buildKubeconfig(input: KubeconfigInput): string {
  const name = input.contextName ?? 'modeldeploy-test';
  const context: Record<string, string> = { cluster: name, user: input.userName };
  if (input.namespace !== undefined) context['namespace'] = input.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name, cluster: { server: input.server, 'certificate-authority-data': b64(input.caData) } },
    ],
    users: [{ name: input.userName, user: userEntry(input.auth) }],
    contexts: [{ name, context }],
    'current-context': name,
  });
}

/** The parts of a kubeconfig's current context that an HTTPS client needs. */
export interface ApiCredentials {
  readonly server: string;
  readonly caData: Buffer;
  readonly auth: UserAuth;
}

interface NamedEntry {
  readonly name: string;
  readonly [key: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entryNamed(list: unknown, name: unknown, what: string): Record<string, unknown> {
  const found = Array.isArray(list)
    ? list.find((e): e is NamedEntry => isRecord(e) && e['name'] === name)
    : undefined;
  const body = found?.[what];
  if (!isRecord(body)) throw new Error(`kubeconfig has no ${what} named ${String(name)}`);
  return body;
}

function stringField(obj: Record<string, unknown>, key: string): string {
  const value = obj[key];
  if (typeof value !== 'string') throw new Error(`kubeconfig field ${key} is missing`);
  return value;
}

/**
 * Read the credentials of the current context from a kubeconfig this harness wrote
 * (inline certificate data or a token; file references are not supported).
 */
export function parseKubeconfig(text: string): ApiCredentials {
  const doc: unknown = parse(text);
  if (!isRecord(doc)) throw new Error('kubeconfig is not a YAML mapping');
  const context = entryNamed(doc['contexts'], doc['current-context'], 'context');
  const cluster = entryNamed(doc['clusters'], context['cluster'], 'cluster');
  const user = entryNamed(doc['users'], context['user'], 'user');
  const caData = Buffer.from(stringField(cluster, 'certificate-authority-data'), 'base64');
  const auth: UserAuth =
    typeof user['token'] === 'string'
      ? { kind: 'token', token: user['token'] }
      : {
          kind: 'cert',
          certData: Buffer.from(stringField(user, 'client-certificate-data'), 'base64'),
          keyData: Buffer.from(stringField(user, 'client-key-data'), 'base64'),
        };
  return { server: stringField(cluster, 'server'), caData, auth };
}
