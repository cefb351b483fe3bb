import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildDeployment, type DeploymentOptions } from './deployment.js';
import { MODEL_CA_DIR, MODEL_CREDENTIALS_DIR } from './model-storage.js';

const S3_URI = 's3://models/iris/v1.onnx';

function modelDeployment(model: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'iris', namespace: 'ml', uid: 'uid-1', generation: 1 },
    spec: { model: { version: 'v1', uri: S3_URI, ...model } },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

const track = (uri: string): DeploymentOptions => ({
  track: 'stable',
  model: { version: 'v1', uri },
  replicas: 1,
  defaultImage: 'modeldeploy/runtime:0.1.0',
});

function env(d: V1Deployment): Map<string, V1EnvVar> {
  const container = d.spec?.template.spec?.containers[0];
  return new Map((container?.env ?? []).map((e) => [e.name, e]));
}

const storage = {
  region: 'eu-west-3',
  endpoint: 'https://minio.storage.svc:9000',
  forcePathStyle: true,
  caBundle: { configMapName: 'store-ca' },
  cacheSizeLimit: '4Gi',
};

describe('model storage in the runtime Deployment', () => {
  it('passes s3 keys as secretKeyRef, never as values, with the store settings', () => {
    const md = modelDeployment({
      credentials: { secretName: 'store-keys', accessKeyIdKey: 'id' },
      storage,
    });
    const vars = env(buildDeployment(md, track(S3_URI)));
    expect(vars.get('AWS_ACCESS_KEY_ID')).toEqual({
      name: 'AWS_ACCESS_KEY_ID',
      valueFrom: { secretKeyRef: { name: 'store-keys', key: 'id' } },
    });
    expect(vars.get('AWS_SECRET_ACCESS_KEY')?.valueFrom?.secretKeyRef).toEqual({
      name: 'store-keys',
      key: 'AWS_SECRET_ACCESS_KEY',
    });
    expect(vars.get('AWS_SESSION_TOKEN')?.valueFrom?.secretKeyRef).toEqual({
      name: 'store-keys',
      key: 'AWS_SESSION_TOKEN',
      optional: true,
    });
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      expect(vars.get(name)?.value).toBeUndefined();
    }
    expect(Object.fromEntries([...vars].map(([k, v]) => [k, v.value]))).toMatchObject({
      MODEL_S3_REGION: 'eu-west-3',
      MODEL_S3_ENDPOINT: 'https://minio.storage.svc:9000',
      MODEL_S3_FORCE_PATH_STYLE: 'true',
      MODEL_CA_BUNDLE_FILE: `${MODEL_CA_DIR}/ca.crt`,
      MODEL_CACHE_SIZE_LIMIT_BYTES: String(4 * 2 ** 30),
    });
  });

  it('mounts https credentials and the CA bundle read-only and names the files', () => {
    const md = modelDeployment({
      uri: 'https://models.example/iris.onnx',
      credentials: { secretName: 'basic', usernameKey: 'user', passwordKey: 'pass' },
      storage: { caBundle: { configMapName: 'corp-ca', key: 'bundle.pem' } },
    });
    const d = buildDeployment(md, track('https://models.example/iris.onnx'));
    const vars = env(d);
    expect(vars.get('MODEL_HTTP_USERNAME_FILE')?.value).toBe(`${MODEL_CREDENTIALS_DIR}/user`);
    expect(vars.get('MODEL_HTTP_PASSWORD_FILE')?.value).toBe(`${MODEL_CREDENTIALS_DIR}/pass`);
    expect(vars.get('MODEL_CA_BUNDLE_FILE')?.value).toBe(`${MODEL_CA_DIR}/bundle.pem`);
    expect(vars.has('AWS_ACCESS_KEY_ID')).toBe(false);
    const pod = d.spec?.template.spec;
    expect(pod?.volumes).toEqual(
      expect.arrayContaining([
        { name: 'model-credentials', secret: { secretName: 'basic' } },
        { name: 'model-ca', configMap: { name: 'corp-ca' } },
      ]),
    );
    expect(pod?.containers[0]?.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'model-credentials', mountPath: MODEL_CREDENTIALS_DIR, readOnly: true },
        { name: 'model-ca', mountPath: MODEL_CA_DIR, readOnly: true },
      ]),
    );
  });

  it('defaults https credentials to a bearer token under "token"', () => {
    const md = modelDeployment({ credentials: { secretName: 'tok' } });
    const vars = env(buildDeployment(md, track('https://models.example/iris.onnx')));
    expect(vars.get('MODEL_HTTP_BEARER_TOKEN_FILE')?.value).toBe(`${MODEL_CREDENTIALS_DIR}/token`);
  });

  it('mounts a gs:// service account key as a file, names it, and sets the emulator endpoint', () => {
    const gsUri = 'gs://models/iris/v1.onnx';
    const md = modelDeployment({
      uri: gsUri,
      credentials: { secretName: 'gcs-key', serviceAccountKeyKey: 'sa.json' },
      storage,
    });
    const d = buildDeployment(md, track(gsUri));
    const vars = env(d);
    expect(vars.get('MODEL_GCS_CREDENTIALS_FILE')?.value).toBe(`${MODEL_CREDENTIALS_DIR}/sa.json`);
    expect(vars.get('MODEL_GCS_ENDPOINT')?.value).toBe('https://minio.storage.svc:9000');
    const names = [...vars.keys()];
    expect(names.filter((n) => n.startsWith('AWS_') || n.startsWith('MODEL_S3_'))).toEqual([]);
    // The GCS client takes no CA bundle: mounting one would promise what it does not do.
    expect(names).not.toContain('MODEL_CA_BUNDLE_FILE');
    const pod = d.spec?.template.spec;
    expect(pod?.volumes?.map((v) => v.name)).not.toContain('model-ca');
    expect(pod?.volumes).toContainEqual({
      name: 'model-credentials',
      secret: { secretName: 'gcs-key' },
    });
    expect(JSON.stringify(d)).not.toContain('private_key');
  });

  it('defaults the gs:// key to "key.json" and sets nothing without credentials (workload identity)', () => {
    const gsUri = 'gs://models/iris/v1.onnx';
    const keyed = env(
      buildDeployment(
        modelDeployment({ uri: gsUri, credentials: { secretName: 'k' } }),
        track(gsUri),
      ),
    );
    expect(keyed.get('MODEL_GCS_CREDENTIALS_FILE')?.value).toBe(
      `${MODEL_CREDENTIALS_DIR}/key.json`,
    );
    const ambient = env(buildDeployment(modelDeployment({ uri: gsUri }), track(gsUri)));
    expect([...ambient.keys()].filter((n) => n.startsWith('MODEL_GCS_'))).toEqual([]);
  });

  it('sets the cache volume sizeLimit and adds nothing for a pvc:// track', () => {
    const md = modelDeployment({ credentials: { secretName: 'keys' }, storage });
    const d = buildDeployment(md, track('pvc://claim/iris.onnx'));
    const pod = d.spec?.template.spec;
    expect(pod?.volumes?.find((v) => v.name === 'tmp')).toEqual({
      name: 'tmp',
      emptyDir: { sizeLimit: '4Gi' },
    });
    expect(pod?.volumes?.map((v) => v.name)).not.toContain('model-credentials');
    const names = [...env(d).keys()];
    expect(names.filter((n) => n.startsWith('AWS_') || n.startsWith('MODEL_S3_'))).toEqual([]);
    expect(names).not.toContain('MODEL_CA_BUNDLE_FILE');
  });

  it('passes spec.runtime.serviceAccountName through for workload identity', () => {
    const md = parseModelDeployment({
      metadata: { name: 'iris', namespace: 'ml', uid: 'uid-1', generation: 1 },
      spec: {
        model: { version: 'v1', uri: S3_URI },
        runtime: { serviceAccountName: 'model-reader' },
      },
    });
    if (!md.ok) throw new Error(md.errors.join('\n'));
    const d = buildDeployment(md.value, track(S3_URI));
    expect(d.spec?.template.spec?.serviceAccountName).toBe('model-reader');
    expect([...env(d).keys()].filter((n) => n.startsWith('AWS_'))).toEqual([]);
  });
});
