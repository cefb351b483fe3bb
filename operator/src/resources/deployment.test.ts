import type { V1Container, V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildDeployment, type DeploymentOptions } from './deployment.js';

function modelDeployment(spec: Record<string, unknown>): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 3 },
    spec: { model: { version: 'v1', uri: 'https://models.example/m.onnx' }, ...spec },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

const stable: DeploymentOptions = {
  track: 'stable',
  model: { version: 'v1', uri: 'https://models.example/m.onnx' },
  replicas: 2,
  defaultImage: 'modeldeploy/runtime:0.1.0',
};

function runtimeContainer(d: V1Deployment): V1Container {
  const c = d.spec?.template.spec?.containers[0];
  if (!c) throw new Error('no container');
  return c;
}

function envOf(d: V1Deployment): Record<string, string | undefined> {
  const env: V1EnvVar[] = runtimeContainer(d).env ?? [];
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

describe('buildDeployment', () => {
  it('names the stable Deployment after the resource and the canary with -canary', () => {
    const md = modelDeployment({});
    expect(buildDeployment(md, stable).metadata?.name).toBe('scorer');
    const canary = buildDeployment(md, {
      ...stable,
      track: 'canary',
      model: { version: 'v2', uri: 'https://models.example/m2.onnx' },
    });
    expect(canary.metadata?.name).toBe('scorer-canary');
    expect(canary.spec?.selector.matchLabels?.['modeldeploy.io/track']).toBe('canary');
    expect(envOf(canary)).toMatchObject({ MODEL_TRACK: 'canary', MODEL_VERSION: 'v2' });
  });

  it('carries apiVersion, kind, namespace and a controller owner reference', () => {
    const d = buildDeployment(modelDeployment({}), stable);
    expect(d.apiVersion).toBe('apps/v1');
    expect(d.kind).toBe('Deployment');
    expect(d.metadata?.namespace).toBe('ml');
    expect(d.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'modeldeploy.io/v1alpha1',
        kind: 'ModelDeployment',
        name: 'scorer',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('selects on instance and track only, while pods also carry the version', () => {
    const d = buildDeployment(modelDeployment({}), stable);
    expect(d.spec?.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'modeldeploy-runtime',
      'app.kubernetes.io/instance': 'scorer',
      'modeldeploy.io/track': 'stable',
    });
    const podLabels = d.spec?.template.metadata?.labels;
    expect(podLabels).toMatchObject({
      ...d.spec?.selector.matchLabels,
      'app.kubernetes.io/version': 'v1',
      'app.kubernetes.io/managed-by': 'modeldeploy-operator',
      'app.kubernetes.io/component': 'model-server',
      'modeldeploy.io/model': 'scorer',
    });
    expect(d.metadata?.labels).toEqual(podLabels);
  });

  it('sets replicas when given and leaves the field out entirely when an HPA owns it', () => {
    const md = modelDeployment({ autoscaling: { maxReplicas: 4, targetLatencyMs: 50 } });
    expect(buildDeployment(md, stable).spec?.replicas).toBe(2);
    const spec = buildDeployment(md, { ...stable, replicas: undefined }).spec;
    expect(spec).toBeDefined();
    expect(Object.keys(spec ?? {})).not.toContain('replicas');
  });

  it('rolls out without losing capacity and keeps three old ReplicaSets', () => {
    const spec = buildDeployment(modelDeployment({ progressDeadlineSeconds: 900 }), stable).spec;
    expect(spec?.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' },
    });
    expect(spec?.progressDeadlineSeconds).toBe(900);
    expect(spec?.revisionHistoryLimit).toBe(3);
  });

  it('gives the runtime the model, batching and shutdown settings through its environment', () => {
    const md = modelDeployment({
      model: { name: 'ranker', version: 'v1', uri: 'https://models.example/m.onnx' },
      batching: { maxBatchSize: 16, maxDelayMs: 5, maxQueue: 100 },
      runtime: { threads: { intraOp: 2, interOp: 1 } },
      rateLimit: { requestsPerSecond: 100, burst: 20 },
    });
    const sha256 = 'a'.repeat(64);
    const env = envOf(buildDeployment(md, { ...stable, model: { ...stable.model, sha256 } }));
    expect(env).toMatchObject({
      MODEL_URI: 'https://models.example/m.onnx',
      MODEL_NAME: 'ranker',
      MODEL_VERSION: 'v1',
      MODEL_SHA256: sha256,
      MODEL_TRACK: 'stable',
      PORT: '8080',
      BATCH_MAX_SIZE: '16',
      BATCH_MAX_DELAY_MS: '5',
      BATCH_MAX_QUEUE: '100',
      INTRA_OP_THREADS: '2',
      INTER_OP_THREADS: '1',
      RATE_LIMIT_RPS: '100',
      RATE_LIMIT_BURST: '20',
      MODEL_CACHE_DIR: '/tmp/modeldeploy-models',
      SHUTDOWN_DELAY_MS: '5000',
      SHUTDOWN_GRACE_MS: '30000',
    });
    expect(runtimeContainer(buildDeployment(md, stable)).env?.map((e) => e.name)).not.toContain(
      'MODEL_SHA256',
    );
  });

  it('names the ModelDeployment in MODELDEPLOY_INSTANCE on both tracks, whatever spec.runtime.env says', () => {
    const md = modelDeployment({
      runtime: { env: [{ name: 'MODELDEPLOY_INSTANCE', value: 'prod/scorer' }] },
    });
    const canary = { ...stable, track: 'canary' as const };
    for (const d of [buildDeployment(md, stable), buildDeployment(md, canary)]) {
      const env = runtimeContainer(d).env ?? [];
      // Analysis selects on it: a pod must not claim another ModelDeployment's name.
      expect(env.filter((e) => e.name === 'MODELDEPLOY_INSTANCE')).toEqual([
        { name: 'MODELDEPLOY_INSTANCE', value: 'ml/scorer' },
      ]);
    }
  });

  it('uses the spec defaults for batching when spec.batching is left out', () => {
    expect(envOf(buildDeployment(modelDeployment({}), stable))).toMatchObject({
      BATCH_MAX_SIZE: '32',
      BATCH_MAX_DELAY_MS: '2',
      BATCH_MAX_QUEUE: '256',
    });
  });

  it('turns batching off with a batch size of one', () => {
    const md = modelDeployment({ batching: { enabled: false, maxBatchSize: 64 } });
    expect(envOf(buildDeployment(md, stable)).BATCH_MAX_SIZE).toBe('1');
  });

  it('leaves optional settings out of the environment when they are not set', () => {
    const names = Object.keys(envOf(buildDeployment(modelDeployment({}), stable)));
    for (const name of [
      'MODEL_SHA256',
      'INTRA_OP_THREADS',
      'RATE_LIMIT_RPS',
      'API_KEYS_FILE',
      'JWT_ISSUER',
      'AUTH_PROTECT_METRICS',
      'GOLDEN_REQUESTS',
      'PVC_MOUNT_ROOT',
    ]) {
      expect(names).not.toContain(name);
    }
  });

  it('mounts the API key Secret read-only and points API_KEYS_FILE at the key', () => {
    const md = modelDeployment({
      auth: { apiKeySecretRef: { name: 'keys' }, protectMetrics: true },
    });
    const d = buildDeployment(md, stable);
    expect(envOf(d)).toMatchObject({
      API_KEYS_FILE: '/etc/modeldeploy/api-keys/api-keys',
      AUTH_PROTECT_METRICS: 'true',
    });
    expect(d.spec?.template.spec?.volumes).toContainEqual({
      name: 'api-keys',
      secret: { secretName: 'keys' },
    });
    expect(runtimeContainer(d).volumeMounts).toContainEqual({
      name: 'api-keys',
      mountPath: '/etc/modeldeploy/api-keys',
      readOnly: true,
    });
  });

  it('configures JWT with a JWKS file when the key ends with .json', () => {
    const md = modelDeployment({
      auth: {
        jwt: {
          issuer: 'https://issuer.example',
          audiences: ['a', 'b'],
          algorithms: ['RS256', 'EdDSA'],
          keysSecretRef: { name: 'jwks' },
        },
      },
    });
    const d = buildDeployment(md, stable);
    expect(envOf(d)).toMatchObject({
      JWT_ISSUER: 'https://issuer.example',
      JWT_AUDIENCE: 'a,b',
      JWT_ALGORITHMS: 'RS256,EdDSA',
      JWT_JWKS_FILE: '/etc/modeldeploy/jwt/jwks.json',
    });
    expect(Object.keys(envOf(d))).not.toContain('JWT_PUBLIC_KEY_FILE');
    expect(runtimeContainer(d).volumeMounts).toContainEqual({
      name: 'jwt-keys',
      mountPath: '/etc/modeldeploy/jwt',
      readOnly: true,
    });
  });

  it('configures JWT with a PEM file for any other key', () => {
    const md = modelDeployment({
      auth: { jwt: { issuer: 'iss', keysSecretRef: { name: 'pem', key: 'public.pem' } } },
    });
    const env = envOf(buildDeployment(md, stable));
    expect(env).toMatchObject({
      JWT_PUBLIC_KEY_FILE: '/etc/modeldeploy/jwt/public.pem',
      JWT_ALGORITHMS: 'RS256,ES256',
    });
    expect(Object.keys(env)).not.toContain('JWT_JWKS_FILE');
    expect(Object.keys(env)).not.toContain('JWT_AUDIENCE');
  });

  it('passes golden requests as JSON with input shapes filled in', () => {
    const md = modelDeployment({});
    const d = buildDeployment(md, {
      ...stable,
      goldenRequests: [
        {
          name: 'ones',
          inputs: [{ name: 'x', datatype: 'FP32', data: [1, 1, 1] }],
          outputs: [{ name: 'y', datatype: 'FP32', data: [0.5] }],
          tolerance: 0.01,
        },
      ],
    });
    const golden: unknown = JSON.parse(envOf(d).GOLDEN_REQUESTS ?? 'null');
    expect(golden).toEqual([
      {
        name: 'ones',
        inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] }],
        outputs: [{ name: 'y', data: [0.5] }],
        tolerance: 0.01,
      },
    ]);
  });

  it('appends spec.runtime.env last and lets it replace an operator variable', () => {
    const md = modelDeployment({
      runtime: {
        env: [
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'BATCH_MAX_QUEUE', value: '9' },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
      },
    });
    const env = runtimeContainer(buildDeployment(md, stable)).env ?? [];
    const names = env.map((e) => e.name);
    expect(names.filter((n) => n === 'BATCH_MAX_QUEUE')).toHaveLength(1);
    expect(names.slice(-3)).toEqual(['LOG_LEVEL', 'BATCH_MAX_QUEUE', 'TOKEN']);
    expect(env.at(-2)?.value).toBe('9');
    expect(env.at(-1)).toEqual({
      name: 'TOKEN',
      valueFrom: { secretKeyRef: { name: 's', key: 'k' } },
    });
  });

  it('mounts a pvc:// model claim read-only under /mnt/models', () => {
    const d = buildDeployment(modelDeployment({}), {
      ...stable,
      model: { version: 'v1', uri: 'pvc://model-store/ranker/v1.onnx' },
    });
    expect(d.spec?.template.spec?.volumes).toContainEqual({
      name: 'model-pvc',
      persistentVolumeClaim: { claimName: 'model-store', readOnly: true },
    });
    expect(runtimeContainer(d).volumeMounts).toContainEqual({
      name: 'model-pvc',
      mountPath: '/mnt/models/model-store',
      readOnly: true,
    });
    expect(envOf(d)).toMatchObject({
      MODEL_URI: 'pvc://model-store/ranker/v1.onnx',
      PVC_MOUNT_ROOT: '/mnt/models',
    });
  });

  it('gives the read-only root filesystem a writable /tmp', () => {
    const d = buildDeployment(modelDeployment({}), stable);
    expect(d.spec?.template.spec?.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    expect(runtimeContainer(d).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('probes /ready at start-up within startupTimeoutSeconds, then /ready and /health', () => {
    const md = modelDeployment({ runtime: { startupTimeoutSeconds: 121 } });
    const c = runtimeContainer(buildDeployment(md, stable));
    expect(c.startupProbe).toEqual({
      httpGet: { path: '/ready', port: 'http' },
      periodSeconds: 2,
      failureThreshold: 61,
    });
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/ready', port: 'http' },
      periodSeconds: 5,
    });
    expect(c.livenessProbe).toEqual({
      httpGet: { path: '/health', port: 'http' },
      periodSeconds: 10,
      failureThreshold: 3,
    });
  });

  it('allows the default 300 s start-up when spec.runtime is left out', () => {
    const c = runtimeContainer(buildDeployment(modelDeployment({}), stable));
    expect(c.startupProbe?.failureThreshold).toBe(150);
  });

  it('runs as non-root with no privileges, as the restricted Pod Security Standard requires', () => {
    const d = buildDeployment(modelDeployment({}), stable);
    expect(d.spec?.template.spec?.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(runtimeContainer(d).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(runtimeContainer(d).terminationMessagePolicy).toBe('FallbackToLogsOnError');
    expect(d.spec?.template.spec?.terminationGracePeriodSeconds).toBe(35);
  });

  it('exposes 8080 as http, 8081 as grpc, and asks Prometheus to scrape /metrics on http', () => {
    const d = buildDeployment(modelDeployment({}), stable);
    expect(runtimeContainer(d).ports).toEqual([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'grpc', containerPort: 8081, protocol: 'TCP' },
    ]);
    expect(envOf(d)).toMatchObject({ PORT: '8080', GRPC_PORT: '8081' });
    expect(d.spec?.template.metadata?.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });

  it('uses the default image unless spec.runtime.image is set', () => {
    expect(runtimeContainer(buildDeployment(modelDeployment({}), stable)).image).toBe(
      'modeldeploy/runtime:0.1.0',
    );
    const md = modelDeployment({
      runtime: { image: 'registry.example/runtime:9', imagePullPolicy: 'Always' },
    });
    const c = runtimeContainer(buildDeployment(md, stable));
    expect(c.image).toBe('registry.example/runtime:9');
    expect(c.imagePullPolicy).toBe('Always');
  });

  it('copies resources and placement to the pod and leaves unset ones out', () => {
    const toleration = { key: 'gpu', operator: 'Exists', effect: 'NoSchedule' };
    const md = modelDeployment({
      runtime: {
        resources: { requests: { cpu: 1, memory: '512Mi' }, limits: { memory: '1Gi' } },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [toleration],
        serviceAccountName: 'model-reader',
        priorityClassName: 'serving',
      },
    });
    const d = buildDeployment(md, stable);
    const pod = d.spec?.template.spec;
    expect(runtimeContainer(d).resources).toEqual({
      requests: { cpu: '1', memory: '512Mi' },
      limits: { memory: '1Gi' },
    });
    expect(pod).toMatchObject({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [toleration],
      serviceAccountName: 'model-reader',
      priorityClassName: 'serving',
    });
    expect(Object.keys(pod ?? {})).not.toContain('affinity');
    expect(
      Object.keys(runtimeContainer(buildDeployment(modelDeployment({}), stable))),
    ).not.toContain('resources');
  });
});
