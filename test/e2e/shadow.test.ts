/**
 * Shadow traffic on the real node, the way a cluster runs it: the stable pod finds the
 * shadow Service by its DNS name (`<name>-shadow.<namespace>.svc`, CoreDNS), copies each
 * answered request to it through kube-proxy, and compares the answers. Users only ever get
 * the stable version's answers. Traffic goes through the API server's service proxy on
 * loopback into pods this suite made, in bounded loops.
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
  tcpReachable,
  type GoldenRequest,
  type InferResponse,
} from './e2e-kit.js';

const skipReason = inject('e2eSkipReason');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny.golden.json`, 'utf8'),
) as GoldenRequest[];
const REQUESTS = 20;
/** spec.shadow.percent; the runtime picks evenly (every second request at 50 %). */
const PERCENT = 50;

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { containerStatuses?: { ready: boolean }[] };
}

/** The one ready pod of a track (the stable or the shadow runtime). */
async function readyPod(namespace: string, appName: string): Promise<string | undefined> {
  const selector = `app.kubernetes.io/name=${appName},app.kubernetes.io/instance=mirror`;
  const pods = await getJson<{ items: Pod[] }>(['-n', namespace, 'pods', '-l', selector]);
  const ready = pods.items.filter(
    (p) =>
      p.metadata.deletionTimestamp === undefined && p.status.containerStatuses?.[0]?.ready === true,
  );
  return ready[0]?.metadata.name;
}

/** Sum of a counter's samples in a pod's /metrics (read through the API server's pod proxy). */
async function counter(namespace: string, pod: string, name: string): Promise<number> {
  const res = await api('GET', `/api/v1/namespaces/${namespace}/pods/${pod}:8080/proxy/metrics`);
  if (res.status !== 200) throw new Error(`/metrics of ${pod} answered ${res.status}`);
  return res.body
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe.skipIf(skipReason !== '')(
  `shadow traffic on the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';
    let operator: OperatorProcess | undefined;

    beforeAll(async () => {
      namespace = await createNamespace('e2e-shadow');
      operator = await OperatorProcess.start({
        kubeconfigPath: inject('kubeconfigPath'),
        namespaces: [namespace],
        env: { RUNTIME_IMAGE: inject('e2eRuntimeImage') },
      });
    });

    afterAll(async () => {
      await operator?.stop();
      if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
    });

    it('the stable pod mirrors the configured share of answered requests to the shadow by its Service name and compares the answers', async () => {
      const golden = GOLDEN[0];
      if (golden === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
      const onNode = { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } };
      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        JSON.stringify({
          apiVersion: 'modeldeploy.io/v1alpha1',
          kind: 'ModelDeployment',
          metadata: { name: 'mirror' },
          spec: {
            model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
            replicas: 1,
            // The claim here is reachability by name and the comparison, not the shadow's
            // speed: a copy may wait for the busy node longer than the default 1 s.
            runtime: { ...onNode, env: [{ name: 'SHADOW_TIMEOUT_MS', value: '30000' }] },
            // Another model of the same shape: its answers differ, so every copy disagrees.
            shadow: {
              model: { version: '2', uri: 'file:///models/mlp-tiny-v2.onnx' },
              percent: PERCENT,
              replicas: 1,
            },
          },
        }),
      );
      const [stable, shadow] = await eventually(
        'a ready stable pod and a ready shadow pod',
        async () => {
          const s = await readyPod(namespace, 'modeldeploy-runtime');
          const d = await readyPod(namespace, 'modeldeploy-runtime-shadow');
          return s !== undefined && d !== undefined ? [s, d] : undefined;
        },
        180_000,
        1_000,
      );

      // Ready pods reach kube-proxy's rules a moment later; until then a copy to the
      // shadow Service (port 80, spec.service's default) is refused and counts as an error.
      const shadowService = await getJson<{ spec: { clusterIP: string } }>([
        '-n',
        namespace,
        'service',
        'mirror-shadow',
      ]);
      await eventually(
        'the shadow Service answers on its ClusterIP',
        () => tcpReachable(shadowService.spec.clusterIP, 80),
        60_000,
        500,
      );
      const versions = new Set<string>();
      for (let i = 0; i < REQUESTS; i += 1) {
        const res = await api(
          'POST',
          `/api/v1/namespaces/${namespace}/services/mirror:http/proxy/v2/models/mirror/infer`,
          { inputs: golden.inputs },
        );
        expect(res.status, res.body).toBe(200);
        versions.add((JSON.parse(res.body) as InferResponse).model_version ?? 'none');
      }
      expect([...versions]).toEqual(['1']);

      // Copies leave after the answers; wait until every one was compared.
      const expected = (REQUESTS * PERCENT) / 100;
      await eventually(
        `${expected} copies compared by the stable pod`,
        async () =>
          (await counter(namespace, stable, 'modeldeploy_shadow_compared_total')) >= expected
            ? true
            : undefined,
        60_000,
        500,
      );
      const mirrored = await counter(namespace, stable, 'modeldeploy_shadow_mirrored_total');
      expect(Math.abs(mirrored - expected)).toBeLessThanOrEqual(1);
      expect(await counter(namespace, stable, 'modeldeploy_shadow_dropped_total')).toBe(0);
      const disagreed = await api(
        'GET',
        `/api/v1/namespaces/${namespace}/pods/${stable}:8080/proxy/metrics`,
      );
      // The other model answers: value or argmax, never "error" (the shadow was reached).
      expect(disagreed.body).not.toMatch(
        /modeldeploy_shadow_disagreed_total\{reason="error"[^}]*\} [1-9]/,
      );
      expect(
        await counter(namespace, stable, 'modeldeploy_shadow_disagreed_total'),
      ).toBeGreaterThan(0);
      // The shadow pod served the copies itself: about the configured share of the requests.
      const served = await counter(namespace, shadow, 'modeldeploy_requests_total');
      expect(served).toBeGreaterThanOrEqual(mirrored);
    });
  },
);
