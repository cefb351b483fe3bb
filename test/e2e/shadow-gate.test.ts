/**
 * The canary's shadow gate (`spec.canary.shadow`) on the real node, through the operator:
 * the candidate runs as a shadow of the stable pods, which mirror the users' requests to it
 * by its Service name; Prometheus (kubernetes_sd, as docs/autoscaling.md sets it up)
 * scrapes the stable pods' comparison counters, and the operator judges the gate from them.
 * A candidate that answers differently is aborted before any user reaches it; one that
 * answers the same goes on to its first canary step. Traffic goes through the API server's
 * service proxy on loopback into pods this suite made, in bounded loops.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startMetricsChain, type MetricsChain } from '../cluster/metrics-chain.js';
import { REAL_NODE_IP } from '../cluster/real-node.js';
import { OperatorProcess } from '../support/operator-process.js';
import {
  api,
  createNamespace,
  getJson,
  k,
  kOk,
  type GoldenRequest,
  type InferResponse,
} from './e2e-kit.js';

const skipReason = inject('e2eSkipReason');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny.golden.json`, 'utf8'),
) as GoldenRequest[];
/** At one request per 200 ms this covers the stable roll, the gate and its readings. */
const MAX_REQUESTS = 900;

interface CanaryStatus {
  phase?: string;
  abortReason?: string;
  message?: string;
  shadowGate?: { compared?: number; disagreementRate?: number };
}

async function canaryStatus(namespace: string, name: string): Promise<CanaryStatus> {
  const md = await getJson<{ status?: { canary?: CanaryStatus } }>(['-n', namespace, 'mdep', name]);
  return md.status?.canary ?? {};
}

function stableOnly(name: string): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name },
    spec: {
      model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
      replicas: 1,
      runtime: {
        nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') },
        // The gate counts a copy that times out as a disagreement, and on this loaded 2-core
        // node the default 1 s was exceeded by 3 of 134 copies of the identical model. The
        // claim here is the verdict on the answers, not the candidate's speed.
        env: [{ name: 'SHADOW_TIMEOUT_MS', value: '30000' }],
      },
    },
  });
}

/** The candidate with a gate of 30 s (the least the schema allows) and 10 compared requests, 100 % mirrored. */
function canaryPatch(modelFile: string, prometheusUrl: string): string {
  return JSON.stringify({
    spec: {
      canary: {
        model: { version: '2', uri: `file:///models/${modelFile}` },
        steps: [{ weight: 50, pauseSeconds: 3600 }],
        shadow: {
          durationSeconds: 30,
          minComparedRequests: 10,
          maxDisagreementRate: 0.01,
          percent: 100,
          prometheusUrl,
        },
      },
    },
  });
}

/**
 * Users' requests one every 200 ms until the canary leaves `Shadowing` for `until` (or
 * MAX_REQUESTS); returns the versions that answered and the phase reached.
 */
async function trafficUntil(
  namespace: string,
  name: string,
  until: (s: CanaryStatus) => boolean,
): Promise<{ versions: Map<string, number>; status: CanaryStatus }> {
  const golden = GOLDEN[0];
  if (golden === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
  const versions = new Map<string, number>();
  for (let i = 0; i < MAX_REQUESTS; i += 1) {
    const res = await api(
      'POST',
      `/api/v1/namespaces/${namespace}/services/${name}:http/proxy/v2/models/${name}/infer`,
      { inputs: golden.inputs },
    );
    const version =
      res.status === 200
        ? ((JSON.parse(res.body) as InferResponse).model_version ?? '?')
        : 'failed';
    versions.set(version, (versions.get(version) ?? 0) + 1);
    if (i % 10 === 0) {
      const status = await canaryStatus(namespace, name);
      if (until(status)) return { versions, status };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { versions, status: await canaryStatus(namespace, name) };
}

describe.skipIf(skipReason !== '')(
  `canary shadow gate on the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';
    let chain: MetricsChain | undefined;
    let operator: OperatorProcess | undefined;

    beforeAll(async () => {
      namespace = await createNamespace('e2e-gate');
      chain = await startMetricsChain({
        kubeconfigPath: inject('kubeconfigPath'),
        kubeconfig: inject('kubeconfig'),
        binDir: inject('binDir'),
        adapterAddress: REAL_NODE_IP,
        namespaces: [namespace],
        nodeName: inject('realNodeName'),
        scrapeIntervalSeconds: 2,
        log: (line) => process.stderr.write(`[metrics-chain] ${line}\n`),
      });
      operator = await OperatorProcess.start({
        kubeconfigPath: inject('kubeconfigPath'),
        namespaces: [namespace],
        env: {
          RUNTIME_IMAGE: inject('e2eRuntimeImage'),
          ANALYSIS_PROMETHEUS_URLS: chain.prometheusUrl,
        },
      });
    });

    afterAll(async () => {
      await operator?.stop();
      await chain?.stop();
      if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
    });

    for (const [model, verdict] of [
      ['mlp-tiny-v2.onnx', 'disagrees: aborted with ShadowDisagreement'],
      ['mlp-tiny.onnx', 'answers the same: passes the gate to its first step'],
    ] as const) {
      it(`a candidate that ${verdict}, and no user got its answers`, async () => {
        const name = model === 'mlp-tiny.onnx' ? 'agree' : 'differ';
        const url = chain?.prometheusUrl ?? '';
        await kOk(['apply', '-n', namespace, '-f', '-'], stableOnly(name));
        await kOk([
          '-n',
          namespace,
          'wait',
          '--for=condition=Ready',
          `mdep/${name}`,
          '--timeout=180s',
        ]);
        await kOk([
          '-n',
          namespace,
          'patch',
          'mdep',
          name,
          '--type=merge',
          '-p',
          canaryPatch(model, url),
        ]);
        const { versions, status } = await trafficUntil(namespace, name, (s) =>
          name === 'differ'
            ? s.phase === 'Aborted'
            : s.phase !== undefined && s.phase !== 'Shadowing' && s.phase !== 'Pending',
        );
        const seen = JSON.stringify([...versions]);
        expect(versions.has('2'), seen).toBe(false);
        expect(versions.get('1') ?? 0, seen).toBeGreaterThan(10);
        if (name === 'differ') {
          expect(status, JSON.stringify(status)).toMatchObject({
            phase: 'Aborted',
            abortReason: 'ShadowDisagreement',
          });
          expect(status.shadowGate?.disagreementRate ?? 0).toBeGreaterThan(0.01);
        } else {
          expect(status.phase, JSON.stringify(status)).not.toBe('Aborted');
          expect(status.shadowGate?.compared ?? 0).toBeGreaterThanOrEqual(10);
          expect(status.shadowGate?.disagreementRate ?? 1).toBeLessThanOrEqual(0.01);
        }
      });
    }
  },
);
