/**
 * spec.auth.apiKeySecretRef on the real node: the operator mounts the Secret into the
 * runtime pod, and the runtime in that pod (real image under containerd) answers 401 to a
 * request without a key or with a wrong one and 200 to one with a key from the Secret.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OperatorProcess } from '../support/operator-process.js';
import {
  api,
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  maxDifference,
  portForward,
  type GoldenRequest,
  type InferResponse,
} from './e2e-kit.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skipReason = inject('e2eSkipReason');
const GOLDEN = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny.golden.json`, 'utf8'),
) as GoldenRequest[];

const NAME = 'keyed';
const SECRET = 'keyed-api-keys';
// Two keys, one per line, as the API documents the Secret's format.
const KEYS = ['first-key-7f3a9c', 'second-key-b2e41d'] as const;

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: {
    nodeName?: string;
    volumes?: { name: string; secret?: { secretName?: string } }[];
    containers: {
      name: string;
      env?: { name: string; value?: string }[];
      volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
    }[];
  };
  status: { containerStatuses?: { ready: boolean }[] };
}

function golden(): GoldenRequest {
  const g = GOLDEN[0];
  if (g === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
  return g;
}

function keyedDeployment(): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name: NAME },
    spec: {
      model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
      runtime: { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } },
      auth: { apiKeySecretRef: { name: SECRET, key: 'keys' } },
    },
  });
}

function keySecret(): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET },
    type: 'Opaque',
    stringData: { keys: `${KEYS.join('\n')}\n` },
  });
}

async function readyPod(namespace: string): Promise<Pod> {
  const selector = `app.kubernetes.io/name=modeldeploy-runtime,app.kubernetes.io/instance=${NAME}`;
  return eventually(
    `a ready runtime pod of ${NAME}`,
    async () =>
      (await getJson<{ items: Pod[] }>(['pods', '-n', namespace, '-l', selector])).items.find(
        (p) =>
          p.metadata.deletionTimestamp === undefined &&
          p.status.containerStatuses?.[0]?.ready === true,
      ),
    180_000,
    1_000,
  );
}

/** V2 infer through the API server's service proxy; the key travels as x-api-key. */
function inferViaProxy(
  namespace: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return api(
    'POST',
    `/api/v1/namespaces/${namespace}/services/${NAME}:http/proxy/v2/models/${NAME}/infer`,
    { inputs: golden().inputs },
    headers,
  );
}

function expectGoldenAnswer(body: string): void {
  const answer = JSON.parse(body) as InferResponse;
  expect(maxDifference(golden().outputs, answer.outputs)).toBeLessThanOrEqual(
    golden().tolerance ?? 1e-4,
  );
}

describe.skipIf(skipReason !== '')(
  `spec.auth on the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';
    let operator: OperatorProcess | undefined;
    let pod: Pod | undefined;

    beforeAll(async () => {
      namespace = await createNamespace('e2e-auth');
      operator = await OperatorProcess.start({
        kubeconfigPath: inject('kubeconfigPath'),
        namespaces: [namespace],
        env: { RUNTIME_IMAGE: inject('e2eRuntimeImage') },
      });
      // The Secret exists before the ModelDeployment, as a user would create it.
      await kOk(['apply', '-n', namespace, '-f', '-'], keySecret());
      await kOk(['apply', '-n', namespace, '-f', '-'], keyedDeployment());
      pod = await readyPod(namespace);
    }, 240_000);

    afterAll(async () => {
      await operator?.stop();
      if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
    });

    it('the operator mounts the Secret read-only into the runtime pod on the real node', () => {
      if (pod === undefined) throw new Error('no ready runtime pod');
      expect(pod.spec.nodeName).toBe(inject('realNodeName'));
      const volume = pod.spec.volumes?.find((v) => v.secret?.secretName === SECRET);
      expect(volume, JSON.stringify(pod.spec.volumes)).toBeDefined();
      const container = pod.spec.containers[0];
      const mount = container?.volumeMounts?.find((m) => m.name === volume?.name);
      expect(mount?.readOnly).toBe(true);
      const keysFile = container?.env?.find((e) => e.name === 'API_KEYS_FILE')?.value;
      expect(keysFile).toBe(`${mount?.mountPath}/keys`);
      // The keys themselves never appear in the pod spec.
      expect(JSON.stringify(pod.spec)).not.toContain(KEYS[0]);
    });

    it('through the Service: no key and a wrong key get 401 from the pod, each key from the Secret 200', async () => {
      const missing = await inferViaProxy(namespace, {});
      expect(missing.status, missing.body).toBe(401);
      expect(missing.body).toContain('missing credentials');

      const wrong = await inferViaProxy(namespace, { 'x-api-key': 'not-a-key-in-the-secret' });
      expect(wrong.status, wrong.body).toBe(401);
      expect(wrong.body).toContain('invalid API key');

      for (const key of KEYS) {
        const ok = await inferViaProxy(namespace, { 'x-api-key': key });
        expect(ok.status, ok.body).toBe(200);
        expectGoldenAnswer(ok.body);
      }
    });

    it('through kubectl port-forward: "Authorization: Bearer <key>" is accepted, a wrong bearer refused', async () => {
      // The API server's proxy keeps Authorization for itself, so the bearer form is checked
      // over a port-forward to the Service, where the header reaches the pod unchanged.
      const forward = await portForward(namespace, `service/${NAME}`, 80);
      const infer = (authorization: string): Promise<Response> =>
        fetch(`http://127.0.0.1:${forward.port}/v2/models/${NAME}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ inputs: golden().inputs }),
          signal: AbortSignal.timeout(20_000),
        });
      try {
        const refused = await infer('Bearer not-a-key-in-the-secret');
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toContain('invalid_token');
        const accepted = await infer(`Bearer ${KEYS[1]}`);
        expect(accepted.status).toBe(200);
        expectGoldenAnswer(await accepted.text());
      } finally {
        await forward.stop();
      }
    });
  },
);
