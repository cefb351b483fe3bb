import type { V1EnvVar } from '@kubernetes/client-node';
import type { ModelCredentialsSpec, ModelStorageSpec } from '../api/model-storage-spec.js';
import { parseQuantity } from '../kube/quantity.js';
import type { TrackModel } from './tracks.js';
import type { RuntimeVolumes } from './volumes.js';

/** Where the credentials Secret of an https:// or gs:// model is mounted (read-only). */
export const MODEL_CREDENTIALS_DIR = '/etc/modeldeploy/model-credentials';
/** Where the CA bundle ConfigMap is mounted (read-only). */
export const MODEL_CA_DIR = '/etc/modeldeploy/model-ca';

/** What the builders read of spec.model: the storage fields, shared by both tracks. */
export interface ModelStorageSource {
  readonly credentials?: ModelCredentialsSpec | undefined;
  readonly storage?: ModelStorageSpec | undefined;
}

type Scheme = 's3' | 'gs' | 'http' | 'local';

function schemeOf(uri: string): Scheme {
  if (uri.startsWith('s3://')) return 's3';
  if (uri.startsWith('gs://')) return 'gs';
  if (/^https?:\/\//.test(uri)) return 'http';
  return 'local';
}

const secretEnv = (name: string, secretName: string, key: string, optional = false): V1EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: secretName, key, ...(optional ? { optional: true } : {}) } },
});

/**
 * AWS keys as the SDK's default chain reads them, each a reference to the Secret: the
 * pod spec never holds them in clear. The session token is optional in the Secret.
 */
function s3CredentialEnv(c: ModelCredentialsSpec): V1EnvVar[] {
  return [
    secretEnv('AWS_ACCESS_KEY_ID', c.secretName, c.accessKeyIdKey ?? 'AWS_ACCESS_KEY_ID'),
    secretEnv(
      'AWS_SECRET_ACCESS_KEY',
      c.secretName,
      c.secretAccessKeyKey ?? 'AWS_SECRET_ACCESS_KEY',
    ),
    secretEnv('AWS_SESSION_TOKEN', c.secretName, c.sessionTokenKey ?? 'AWS_SESSION_TOKEN', true),
  ];
}

/** https:// credentials stay in files of the mounted Secret; the variables name the files. */
function httpCredentialEnv(c: ModelCredentialsSpec): V1EnvVar[] {
  const file = (key: string): string => `${MODEL_CREDENTIALS_DIR}/${key}`;
  if (c.usernameKey !== undefined && c.passwordKey !== undefined) {
    return [
      { name: 'MODEL_HTTP_USERNAME_FILE', value: file(c.usernameKey) },
      { name: 'MODEL_HTTP_PASSWORD_FILE', value: file(c.passwordKey) },
    ];
  }
  return [{ name: 'MODEL_HTTP_BEARER_TOKEN_FILE', value: file(c.bearerTokenKey ?? 'token') }];
}

/** A GCS service account key stays a file of the mounted Secret, like https:// credentials. */
function gcsCredentialEnv(c: ModelCredentialsSpec): V1EnvVar[] {
  const key = c.serviceAccountKeyKey ?? 'key.json';
  return [{ name: 'MODEL_GCS_CREDENTIALS_FILE', value: `${MODEL_CREDENTIALS_DIR}/${key}` }];
}

function credentialEnv(source: ModelStorageSource, scheme: Scheme): V1EnvVar[] {
  const c = source.credentials;
  if (c === undefined || scheme === 'local') return [];
  if (scheme === 's3') return s3CredentialEnv(c);
  return scheme === 'gs' ? gcsCredentialEnv(c) : httpCredentialEnv(c);
}

/** Whether the scheme reads the credentials Secret as mounted files. */
const mountsCredentials = (scheme: Scheme): boolean => scheme === 'http' || scheme === 'gs';

/** The CA bundle is for Node's https client and the AWS SDK's; the GCS client takes none. */
const usesCaBundle = (scheme: Scheme): boolean => scheme === 'http' || scheme === 's3';

/** The cache volume's sizeLimit in bytes, when spec.model.storage.cacheSizeLimit sets one. */
export function cacheSizeLimitBytes(source: ModelStorageSource): number | undefined {
  const limit = source.storage?.cacheSizeLimit;
  const bytes = limit === undefined ? undefined : parseQuantity(limit);
  return bytes === undefined ? undefined : Math.floor(bytes);
}

function settingsEnv(source: ModelStorageSource, scheme: Scheme): V1EnvVar[] {
  const s = source.storage;
  const ca = s?.caBundle;
  const limit = cacheSizeLimitBytes(source);
  const values: Record<string, string | undefined> = {
    MODEL_S3_REGION: scheme === 's3' ? s?.region : undefined,
    MODEL_S3_ENDPOINT: scheme === 's3' ? s?.endpoint : undefined,
    MODEL_S3_FORCE_PATH_STYLE: scheme === 's3' ? s?.forcePathStyle?.toString() : undefined,
    MODEL_GCS_ENDPOINT: scheme === 'gs' ? s?.endpoint : undefined,
    MODEL_CA_BUNDLE_FILE:
      ca !== undefined && usesCaBundle(scheme)
        ? `${MODEL_CA_DIR}/${ca.key ?? 'ca.crt'}`
        : undefined,
    MODEL_CACHE_SIZE_LIMIT_BYTES: limit?.toString(),
  };
  return Object.entries(values).flatMap(([name, value]) =>
    value === undefined ? [] : [{ name, value }],
  );
}

/** The storage variables of one track's runtime (its URI decides the scheme). */
export function modelStorageEnv(source: ModelStorageSource, model: TrackModel): V1EnvVar[] {
  const scheme = schemeOf(model.uri);
  return [...credentialEnv(source, scheme), ...settingsEnv(source, scheme)];
}

/** The credentials Secret (https://, gs://) and the CA bundle ConfigMap, mounted read-only. */
export function modelStorageVolumes(source: ModelStorageSource, model: TrackModel): RuntimeVolumes {
  const scheme = schemeOf(model.uri);
  const out: RuntimeVolumes = { volumes: [], mounts: [] };
  const c = source.credentials;
  if (c !== undefined && mountsCredentials(scheme)) {
    out.volumes.push({ name: 'model-credentials', secret: { secretName: c.secretName } });
    out.mounts.push({
      name: 'model-credentials',
      mountPath: MODEL_CREDENTIALS_DIR,
      readOnly: true,
    });
  }
  const ca = source.storage?.caBundle;
  if (ca !== undefined && usesCaBundle(scheme)) {
    out.volumes.push({ name: 'model-ca', configMap: { name: ca.configMapName } });
    out.mounts.push({ name: 'model-ca', mountPath: MODEL_CA_DIR, readOnly: true });
  }
  return out;
}
