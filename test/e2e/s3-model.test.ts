/**
 * An s3:// model on the real node, as a cluster with an in-cluster MinIO or Ceph gateway
 * runs it: an S3-compatible server (versitygw, built from its Go module) runs as a pod
 * behind a ClusterIP Service in the suite's namespace, the test uploads the model through
 * that Service, and a ModelDeployment reads it with keys from a Secret. With the right keys
 * it is Ready and answers the golden request; with a wrong secret key it is Ready=False with
 * the ModelAccessDenied reason, naming the access key id.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OperatorProcess } from '../support/operator-process.js';
import { versitygwBinary } from '../support/s3-server.js';
import {
  api,
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  maxDifference,
  tcpReachable,
  type GoldenRequest,
  type InferResponse,
} from './e2e-kit.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skipReason = inject('e2eSkipReason');
const MODEL = readFileSync(`${REPO}examples/models/mlp-tiny.onnx`);
const GOLDEN = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny.golden.json`, 'utf8'),
) as GoldenRequest[];
const ACCESS_KEY = 'E2EMODELREADER000001';
const SECRET_KEY = 'e2e-secret-key-5c1d';
const S3_PORT = 9000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function golden(): GoldenRequest {
  const g = GOLDEN[0];
  if (g === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
  return g;
}

/** versitygw from the host's build cache, in the runtime image (any image runs a static Go binary). */
function s3ServerObjects(binDir: string): string {
  const labels = { app: 'e2e-s3' };
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'e2e-s3', labels },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') },
      containers: [
        {
          name: 's3',
          image: inject('e2eRuntimeImage'),
          imagePullPolicy: 'Never',
          command: ['/opt/versitygw/versitygw'],
          args: [
            '--port',
            `:${S3_PORT}`,
            '--access',
            ACCESS_KEY,
            '--secret',
            SECRET_KEY,
            '--quiet',
            'posix',
            '--sidecar',
            '/data/meta',
            '/data/root',
          ],
          // The build cache lives under /root; only root may read it.
          securityContext: { runAsUser: 0 },
          ports: [{ name: 's3', containerPort: S3_PORT }],
          readinessProbe: { tcpSocket: { port: S3_PORT }, periodSeconds: 1 },
          volumeMounts: [
            { name: 'bin', mountPath: '/opt/versitygw', readOnly: true },
            { name: 'data', mountPath: '/data' },
          ],
        },
      ],
      initContainers: [
        {
          name: 'dirs',
          image: inject('e2eRuntimeImage'),
          imagePullPolicy: 'Never',
          command: [
            'node',
            '-e',
            "for (const d of ['/data/meta','/data/root']) require('fs').mkdirSync(d,{recursive:true})",
          ],
          securityContext: { runAsUser: 0 },
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
        },
      ],
      volumes: [
        { name: 'bin', hostPath: { path: binDir, type: 'Directory' } },
        { name: 'data', emptyDir: {} },
      ],
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'e2e-s3' },
    spec: { selector: labels, ports: [{ name: 's3', port: S3_PORT, targetPort: 's3' }] },
  };
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pod, service] });
}

function keySecret(name: string, secretKey: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'Opaque',
    stringData: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: secretKey },
  });
}

function s3Deployment(name: string, secretName: string, endpoint: string): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name },
    spec: {
      model: {
        version: '1',
        uri: 's3://models/iris/mlp-tiny.onnx',
        credentials: { secretName },
        storage: { endpoint, forcePathStyle: true, region: 'us-east-1' },
      },
      runtime: { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } },
    },
  });
}

/** Through the Service's ClusterIP, which kube-proxy's rules also serve to this host. */
async function upload(endpoint: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: 'models' }));
    await client.send(
      new PutObjectCommand({ Bucket: 'models', Key: 'iris/mlp-tiny.onnx', Body: MODEL }),
    );
  } finally {
    client.destroy();
  }
}

async function readyCondition(namespace: string, name: string): Promise<Condition | undefined> {
  const md = await getJson<{ status?: { conditions?: Condition[] } }>([
    'modeldeployment',
    name,
    '-n',
    namespace,
  ]);
  return md.status?.conditions?.find((c) => c.type === 'Ready');
}

describe.skipIf(skipReason !== '')(
  `s3:// models on the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';
    let operator: OperatorProcess | undefined;
    let endpoint = '';
    let uploadEndpoint = '';

    beforeAll(async () => {
      namespace = await createNamespace('e2e-s3');
      const binDir = dirname(await versitygwBinary());
      await kOk(['apply', '-n', namespace, '-f', '-'], s3ServerObjects(binDir));
      await kOk(['wait', '-n', namespace, '--for=condition=Ready', 'pod/e2e-s3', '--timeout=120s']);
      const service = await getJson<{ spec: { clusterIP: string } }>([
        '-n',
        namespace,
        'service',
        'e2e-s3',
      ]);
      // The host has no cluster DNS: it uploads through the ClusterIP; the runtime pods
      // use the Service's name, as a ModelDeployment would name an in-cluster MinIO.
      uploadEndpoint = `http://${service.spec.clusterIP}:${S3_PORT}`;
      endpoint = `http://e2e-s3.${namespace}.svc:${S3_PORT}`;
      // A Ready pod reaches kube-proxy's rules a moment later; until then the ClusterIP refuses.
      await eventually(
        'the S3 Service answers on its ClusterIP',
        () => tcpReachable(service.spec.clusterIP, S3_PORT),
        60_000,
        500,
      );
      await upload(uploadEndpoint);
      operator = await OperatorProcess.start({
        kubeconfigPath: inject('kubeconfigPath'),
        namespaces: [namespace],
        env: { RUNTIME_IMAGE: inject('e2eRuntimeImage') },
      });
    }, 240_000);

    afterAll(async () => {
      await operator?.stop();
      if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
    });

    it('with keys from a Secret: Ready, and answers the golden request', async () => {
      await kOk(['apply', '-n', namespace, '-f', '-'], keySecret('store-keys', SECRET_KEY));
      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        s3Deployment('from-s3', 'store-keys', endpoint),
      );
      await eventually(
        'from-s3 Ready=True',
        async () =>
          (await readyCondition(namespace, 'from-s3'))?.status === 'True' ? true : undefined,
        180_000,
        1_000,
      );
      const res = await api(
        'POST',
        `/api/v1/namespaces/${namespace}/services/from-s3:http/proxy/v2/models/from-s3/infer`,
        { inputs: golden().inputs },
      );
      expect(res.status, res.body).toBe(200);
      const answer = JSON.parse(res.body) as InferResponse;
      expect(maxDifference(golden().outputs, answer.outputs)).toBeLessThanOrEqual(
        golden().tolerance ?? 1e-4,
      );
    });

    it('with a wrong secret key: Ready=False, ModelAccessDenied naming the access key id', async () => {
      await kOk(['apply', '-n', namespace, '-f', '-'], keySecret('wrong-keys', 'not-the-secret'));
      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        s3Deployment('denied', 'wrong-keys', endpoint),
      );
      const ready = await eventually(
        'denied Ready=False ModelAccessDenied',
        async () => {
          const c = await readyCondition(namespace, 'denied');
          return c?.reason === 'ModelAccessDenied' ? c : undefined;
        },
        180_000,
        1_000,
      );
      expect(ready.status).toBe('False');
      expect(ready.message).toContain(`access key id ${ACCESS_KEY}`);
      expect(ready.message).not.toContain('not-the-secret');
    });
  },
);
