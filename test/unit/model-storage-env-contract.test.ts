/**
 * The model-storage part of the operator/runtime environment contract: what
 * operator/src/resources/model-storage.ts writes for spec.model.credentials and
 * spec.model.storage parses with the runtime's schema into the settings it stands for.
 * secretKeyRef variables are resolved the way the kubelet would, from a Secret's data.
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment } from '../../operator/src/api/model-deployment.js';
import { MODEL_CA_DIR, MODEL_CREDENTIALS_DIR } from '../../operator/src/resources/model-storage.js';
import { runtimeEnv } from '../../operator/src/resources/runtime-env.js';
import { parseConfig, type RuntimeConfig } from '../../runtime/src/config/index.js';

const secretData: Record<string, string> = { id: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 's' };

/** The kubelet's view: literal values, and secretKeyRef from the Secret (optional keys may be absent). */
function kubeletEnv(vars: V1EnvVar[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of vars) {
    const ref = v.valueFrom?.secretKeyRef;
    if (v.value !== undefined) env[v.name] = v.value;
    else if (ref !== undefined && secretData[ref.key] !== undefined)
      env[v.name] = secretData[ref.key] ?? '';
    else if (ref === undefined || ref.optional !== true) throw new Error(`${v.name}: unresolvable`);
  }
  return env;
}

function configFor(
  uri: string,
  model: Record<string, unknown>,
): { env: Record<string, string>; config: RuntimeConfig } {
  const parsed = parseModelDeployment({
    metadata: { name: 'iris', namespace: 'ml', uid: 'u', generation: 1 },
    spec: { model: { version: 'v1', uri, ...model } },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const env = kubeletEnv(
    runtimeEnv(parsed.value, { track: 'stable', model: parsed.value.spec.model }),
  );
  return { env, config: parseConfig(env) };
}

describe('model storage settings across the contract', () => {
  it('s3:// settings and keys reach the runtime and the SDK variables', () => {
    const { env, config } = configFor('s3://models/iris.onnx', {
      credentials: { secretName: 'keys', accessKeyIdKey: 'id' },
      storage: {
        region: 'eu-west-3',
        endpoint: 'http://minio.storage.svc:9000',
        forcePathStyle: true,
        caBundle: { configMapName: 'ca' },
        cacheSizeLimit: '512Mi',
      },
    });
    expect(config.model.storage).toEqual({
      cacheSizeLimitBytes: 512 * 2 ** 20,
      caBundleFile: `${MODEL_CA_DIR}/ca.crt`,
      http: { bearerTokenFile: undefined, usernameFile: undefined, passwordFile: undefined },
      s3: { endpoint: 'http://minio.storage.svc:9000', region: 'eu-west-3', forcePathStyle: true },
      gcs: { credentialsFile: undefined, endpoint: undefined },
    });
    expect(env['AWS_ACCESS_KEY_ID']).toBe('AKIDEXAMPLE');
    expect(env['AWS_SESSION_TOKEN']).toBeUndefined();
  });

  it('https:// credentials reach the runtime as file names', () => {
    const { config } = configFor('https://models.example/iris.onnx', {
      credentials: { secretName: 'tok', bearerTokenKey: 'bearer' },
    });
    expect(config.model.storage.http.bearerTokenFile).toBe(`${MODEL_CREDENTIALS_DIR}/bearer`);
  });

  it('gs:// key file and endpoint reach the runtime as its GCS settings', () => {
    const { config } = configFor('gs://models/iris.onnx', {
      credentials: { secretName: 'gcs-key' },
      storage: { endpoint: 'http://fake-gcs.test.svc:4443' },
    });
    expect(config.model.storage.gcs).toEqual({
      credentialsFile: `${MODEL_CREDENTIALS_DIR}/key.json`,
      endpoint: 'http://fake-gcs.test.svc:4443',
    });
    expect(config.model.storage.s3.endpoint).toBeUndefined();
  });
});
