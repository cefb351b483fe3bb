/**
 * The operator against a cluster with a REAL node: runtime pods run the real runtime
 * image under containerd/runc, load the model, pass readiness, answer V2 inference through
 * the Service (API server service proxy and kubectl port-forward), drain on delete, and
 * report a failed golden request through the pod's termination message.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OperatorProcess } from '../support/operator-process.js';
import { kstatusOf } from '../support/kstatus.js';
import {
  api,
  createNamespace,
  eventually,
  exampleOnRealNode,
  getJson,
  k,
  kOk,
  kubectlBin,
  maxDifference,
  portForward,
  type GoldenRequest,
  type InferResponse,
} from './e2e-kit.js';
import { spawn } from 'node:child_process';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skipReason = inject('e2eSkipReason');
const GOLDEN = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny.golden.json`, 'utf8'),
) as GoldenRequest[];
const GOLDEN_V2 = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny-v2.golden.json`, 'utf8'),
) as GoldenRequest[];

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface ContainerState {
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string };
  waiting?: { reason?: string };
}

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: Condition[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      image: string;
      containerID?: string;
      state?: ContainerState;
      lastState?: ContainerState;
    }[];
  };
}

interface ModelDeploymentStatus {
  status?: { conditions?: Condition[]; selector?: string };
}

function condition(md: ModelDeploymentStatus, type: string): Condition | undefined {
  return md.status?.conditions?.find((c) => c.type === type);
}

/** Runtime pods of both tracks (status.selector, the scale selector, covers only stable). */
async function podsOf(namespace: string, name: string): Promise<Pod[]> {
  const selector = `app.kubernetes.io/name=modeldeploy-runtime,app.kubernetes.io/instance=${name}`;
  return (await getJson<{ items: Pod[] }>(['pods', '-n', namespace, '-l', selector])).items;
}

async function waitMdepCondition(
  namespace: string,
  name: string,
  type: string,
  match: (c: Condition) => boolean,
  timeoutMs: number,
): Promise<Condition> {
  return eventually(
    `ModelDeployment ${name} ${type}`,
    async () => {
      const c = condition(
        await getJson<ModelDeploymentStatus>(['mdep', name, '-n', namespace]),
        type,
      );
      return c !== undefined && match(c) ? c : undefined;
    },
    timeoutMs,
    500,
  );
}

async function inferThroughServiceProxy(
  namespace: string,
  service: string,
  model: string,
  request: GoldenRequest,
): Promise<InferResponse> {
  const res = await api(
    'POST',
    `/api/v1/namespaces/${namespace}/services/${service}:http/proxy/v2/models/${model}/infer`,
    { inputs: request.inputs },
  );
  if (res.status !== 200)
    throw new Error(`infer answered ${res.status}: ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as InferResponse;
}

describe.skipIf(skipReason !== '')(
  `real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';
    let operator: OperatorProcess | undefined;

    beforeAll(async () => {
      namespace = await createNamespace('e2e');
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

    it('registers a real kubelet beside the kwok node, which kwok leaves alone', async () => {
      const node = await getJson<{
        metadata: { annotations?: Record<string, string> };
        status: { nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string } };
      }>(['node', inject('realNodeName')]);
      expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
      expect(node.status.nodeInfo.kubeletVersion).toMatch(/^v1\.35\./);
      expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBeUndefined();
      const kwokNode = inject('nodeNames')[0];
      expect(kwokNode).toBeDefined();
      const all = await kOk(['get', 'nodes', '-o', 'name']);
      expect(all).toContain(`node/${kwokNode}`);
    });

    it('serves examples/minimal.yaml: ready only after the model loaded, V2 infer through the Service', async () => {
      const applied = Date.now();
      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        exampleOnRealNode('minimal.yaml', 'iris-tiny'),
      );
      await waitMdepCondition(namespace, 'iris-tiny', 'Ready', (c) => c.status === 'True', 180_000);
      const [pod] = (await podsOf(namespace, 'iris-tiny')).filter(
        (p) => p.metadata.deletionTimestamp === undefined,
      );
      if (pod === undefined) throw new Error('no runtime pod');
      expect(pod.spec.nodeName).toBe(inject('realNodeName'));
      const status = pod.status.containerStatuses?.[0];
      expect(status?.image).toContain(inject('e2eRuntimeImage'));
      expect(status?.containerID).toMatch(/^containerd:\/\//);
      expect(status?.ready).toBe(true);

      // The container's own log (through kubelet) says when the model was loaded; the pod
      // turned Ready only afterwards.
      const logs = await kOk(['logs', '-n', namespace, pod.metadata.name]);
      const loaded = logs
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { time?: string; msg?: string })
        .find((l) => l.msg === 'model loaded, warmed up and checked: ready');
      expect(loaded?.time).toBeDefined();
      const readyAt = pod.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
      const startedAt = status?.state?.running?.startedAt;
      // lastTransitionTime has second precision: compare at second precision.
      const seconds = (t: string | undefined): number => Math.floor(Date.parse(t ?? '') / 1000);
      expect(seconds(readyAt)).toBeGreaterThanOrEqual(seconds(loaded?.time));
      expect(seconds(startedAt)).toBeLessThanOrEqual(seconds(loaded?.time));

      const golden = GOLDEN[0];
      if (golden === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
      const viaProxy = await inferThroughServiceProxy(namespace, 'iris-tiny', 'iris-tiny', golden);
      const firstAnswerMs = Date.now() - applied;
      process.stderr.write(
        `[e2e] first prediction through the API server service proxy ${firstAnswerMs} ms after kubectl apply\n`,
      );
      expect(viaProxy.model_version).toBe('1');
      expect(maxDifference(golden.outputs, viaProxy.outputs)).toBeLessThanOrEqual(
        golden.tolerance ?? 1e-4,
      );

      const forward = await portForward(namespace, 'service/iris-tiny', 80);
      try {
        const res = await fetch(`http://127.0.0.1:${forward.port}/v2/models/iris-tiny/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: golden.inputs }),
          signal: AbortSignal.timeout(20_000),
        });
        expect(res.status).toBe(200);
        const viaForward = (await res.json()) as InferResponse;
        expect(maxDifference(golden.outputs, viaForward.outputs)).toBeLessThanOrEqual(
          golden.tolerance ?? 1e-4,
        );
      } finally {
        await forward.stop();
      }
    });

    it('kubectl delete: the runtime pod turns unready, drains and exits 0', async () => {
      const [pod] = (await podsOf(namespace, 'iris-tiny')).filter(
        (p) => p.metadata.deletionTimestamp === undefined && p.status.containerStatuses?.[0]?.ready,
      );
      if (pod === undefined)
        throw new Error('no ready runtime pod; the previous test must pass first');
      const name = pod.metadata.name;
      // Watch the pod's container state and follow its log, both through the real kubelet.
      const watch = spawn(
        kubectlBin(),
        [
          `--kubeconfig=${inject('kubeconfigPath')}`,
          'get',
          'pod',
          name,
          '-n',
          namespace,
          '--watch',
          '-o',
          'jsonpath={.status.containerStatuses[0].ready} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}{"\\n"}',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const follow = spawn(
        kubectlBin(),
        [`--kubeconfig=${inject('kubeconfigPath')}`, 'logs', '-f', '-n', namespace, name],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      let states = '';
      let log = '';
      watch.stdout.on('data', (c: Buffer) => (states += c.toString('utf8')));
      follow.stdout.on('data', (c: Buffer) => (log += c.toString('utf8')));
      const followed = new Promise<void>((r) => follow.once('exit', () => r()));
      try {
        await new Promise((r) => setTimeout(r, 1_000));
        await kOk(['delete', 'pod', '-n', namespace, name, '--wait=true', '--timeout=60s']);
        await Promise.race([followed, new Promise((r) => setTimeout(r, 10_000))]);
      } finally {
        watch.kill('SIGTERM');
        follow.kill('SIGTERM');
      }
      const lines = states.split('\n').map((l) => l.trim());
      expect(lines, `pod states seen:\n${states}`).toContain('false 0 Completed');
      expect(log).toContain('shutting down: draining');
      expect(log).toContain('drained; exiting');
    });

    it('deleting a pod and rolling the Deployment under load loses no request through the Service', async () => {
      const v1 = GOLDEN[0];
      if (v1 === undefined) throw new Error('golden files are empty');
      const md = {
        apiVersion: 'modeldeploy.io/v1alpha1',
        kind: 'ModelDeployment',
        metadata: { name: 'steady' },
        spec: {
          model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
          replicas: 2,
          runtime: { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } },
        },
      };
      await kOk(['apply', '-n', namespace, '-f', '-'], JSON.stringify(md));
      await waitMdepCondition(namespace, 'steady', 'Ready', (c) => c.status === 'True', 180_000);
      // A bounded request loop through the Service while the pods go: each request is routed
      // anew to a ready endpoint, as kube-proxy does for each new connection.
      let stop = false;
      const failures: string[] = [];
      let answered = 0;
      const load = (async () => {
        for (let i = 0; i < 20_000 && !stop; i++) {
          try {
            await inferThroughServiceProxy(namespace, 'steady', 'steady', v1);
            answered++;
          } catch (err) {
            failures.push(String(err));
          }
        }
      })();
      try {
        const [victim] = await podsOf(namespace, 'steady');
        if (victim === undefined) throw new Error('no runtime pod');
        await kOk(['delete', 'pod', '-n', namespace, victim.metadata.name, '--wait=true']);
        await kOk(['rollout', 'restart', 'deployment/steady', '-n', namespace]);
        await kOk(['rollout', 'status', 'deployment/steady', '-n', namespace, '--timeout=240s']);
        // The last replaced pods finish their drain with requests still arriving.
        await new Promise((r) => setTimeout(r, 2_000));
      } finally {
        stop = true;
        await load;
      }
      process.stderr.write(
        `[e2e] requests through the Service across a pod deletion and a rollout: ${answered} answered, ${failures.length} failed\n`,
      );
      expect(answered).toBeGreaterThan(0);
      expect(failures, failures.slice(0, 3).join('\n')).toEqual([]);
    }, 600_000);

    it('a golden request that disagrees: the pod terminates with a message and the ModelDeployment says GoldenCheckFailed', async () => {
      const golden = GOLDEN[0];
      if (golden === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
      const wrong: GoldenRequest = {
        ...golden,
        name: 'deliberately-wrong',
        outputs: golden.outputs.map((o) => ({ ...o, data: o.data.map((v) => v + 1) })),
        tolerance: 0.0001,
      };
      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        exampleOnRealNode('minimal.yaml', 'golden-bad', { goldenRequests: [wrong] }),
      );
      const ready = await waitMdepCondition(
        namespace,
        'golden-bad',
        'Ready',
        (c) => c.status === 'False' && c.reason === 'GoldenCheckFailed',
        180_000,
      );
      expect(ready.message).toMatch(/golden/i);
      expect(ready.message).toContain('deliberately-wrong');
      // A model that fails to load reads Failed to Flux and Helm's watcher (kstatus itself).
      const failed = await getJson<object>(['mdep', 'golden-bad', '-n', namespace]);
      expect((await kstatusOf([failed]))[0]?.status).toBe('Failed');
      const pods = await podsOf(namespace, 'golden-bad');
      const terminated = pods
        .flatMap((p) => p.status.containerStatuses ?? [])
        .map((s) => s.state?.terminated ?? s.lastState?.terminated)
        .find((t) => t !== undefined);
      expect(terminated?.exitCode).not.toBe(0);
      expect(terminated?.message).toContain('deliberately-wrong');
    });

    it('replicaRatio canary: answers through the one Service come from both model versions', async () => {
      const v2 = GOLDEN_V2[0];
      const v1 = GOLDEN[0];
      if (v1 === undefined || v2 === undefined) throw new Error('golden files are empty');
      const md = {
        apiVersion: 'modeldeploy.io/v1alpha1',
        kind: 'ModelDeployment',
        metadata: { name: 'split' },
        spec: {
          model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
          replicas: 1,
          runtime: { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } },
          canary: {
            model: { version: '2', uri: 'file:///models/mlp-tiny-v2.onnx' },
            steps: [{ weight: 50, pauseSeconds: 3600 }],
          },
          traffic: { router: 'replicaRatio' },
        },
      };
      await kOk(['apply', '-n', namespace, '-f', '-'], JSON.stringify(md));
      // Both tracks' pods Ready behind the one Service.
      await eventually(
        'a ready stable and a ready canary pod',
        async () => {
          const pods = await podsOf(namespace, 'split');
          const ready = pods.filter((p) => p.status.containerStatuses?.[0]?.ready === true);
          const versions = new Set(
            ready.map((p) => p.metadata.labels?.['app.kubernetes.io/version']),
          );
          return versions.has('1') && versions.has('2') ? true : undefined;
        },
        180_000,
        1_000,
      );
      const seen = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const res = await inferThroughServiceProxy(namespace, 'split', 'split', v1);
        const version = res.model_version ?? 'none';
        seen.set(version, (seen.get(version) ?? 0) + 1);
        const expected = version === '2' ? v2 : v1;
        expect(maxDifference(expected.outputs, res.outputs)).toBeLessThanOrEqual(
          expected.tolerance ?? 1e-4,
        );
        if (seen.has('1') && seen.has('2') && i >= 9) break;
      }
      expect([...seen.keys()].sort(), JSON.stringify([...seen])).toEqual(['1', '2']);
    });
    it('replicaRatio canary under an HPA: the share of answers per version matches the step within one pod', async () => {
      const v1 = GOLDEN[0];
      if (v1 === undefined) throw new Error('golden files are empty');
      const onNode = { nodeSelector: { 'kubernetes.io/hostname': inject('realNodeName') } };
      const md = (canary: boolean): string =>
        JSON.stringify({
          apiVersion: 'modeldeploy.io/v1alpha1',
          kind: 'ModelDeployment',
          metadata: { name: 'hpa-split' },
          spec: {
            model: { version: '1', uri: 'file:///models/mlp-tiny.onnx' },
            runtime: {
              ...onNode,
              resources: { requests: { cpu: '100m' }, limits: { cpu: '100m' } },
            },
            // No metrics server in this cluster: the HPA cannot read CPU and keeps the count
            // the stable track runs, as an HPA does between decisions.
            autoscaling: {
              minReplicas: 2,
              maxReplicas: 6,
              metric: 'cpu',
              targetCPUUtilization: 80,
            },
            traffic: { router: 'replicaRatio' },
            ...(canary
              ? {
                  canary: {
                    model: { version: '2', uri: 'file:///models/mlp-tiny-v2.onnx' },
                    steps: [{ weight: 50, pauseSeconds: 3600 }],
                  },
                }
              : {}),
          },
        });
      const readyByVersion = async (): Promise<Map<string, number>> => {
        const counts = new Map<string, number>();
        for (const p of await podsOf(namespace, 'hpa-split')) {
          if (p.status.containerStatuses?.[0]?.ready !== true) continue;
          const v = p.metadata.labels?.['app.kubernetes.io/version'] ?? '?';
          counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        return counts;
      };
      await kOk(['apply', '-n', namespace, '-f', '-'], md(false));
      await waitMdepCondition(namespace, 'hpa-split', 'Ready', (c) => c.status === 'True', 180_000);
      // The autoscaler runs 4 pods, above minReplicas (what an HPA under load would do).
      await kOk(['scale', 'deployment', 'hpa-split', '-n', namespace, '--replicas=4']);
      await eventually(
        '4 ready stable pods',
        async () => ((await readyByVersion()).get('1') === 4 ? true : undefined),
        180_000,
        1_000,
      );
      await kOk(['apply', '-n', namespace, '-f', '-'], md(true));
      // 50 % beside 4 stable pods is 4 canary pods (minReplicas would have given 1: 20 %).
      await eventually(
        '4 ready pods of each version',
        async () => {
          const counts = await readyByVersion();
          return counts.get('1') === 4 && counts.get('2') === 4 ? true : undefined;
        },
        240_000,
        1_000,
      );
      const status = await getJson<
        ModelDeploymentStatus & { status?: { canary?: { weight?: number } } }
      >(['mdep', 'hpa-split', '-n', namespace]);
      expect(status.status?.canary?.weight).toBe(50);
      const answers = new Map<string, number>();
      const requests = 1000;
      for (let i = 0; i < requests; i++) {
        const res = await inferThroughServiceProxy(namespace, 'hpa-split', 'hpa-split', v1);
        const version = res.model_version ?? 'none';
        answers.set(version, (answers.get(version) ?? 0) + 1);
      }
      const share = (answers.get('2') ?? 0) / requests;
      process.stderr.write(
        `[e2e] canary share under the HPA: ${(share * 100).toFixed(1)} % of ${requests}\n`,
      );
      // Within one pod of the step: between 3 of 7 and 5 of 9 pods. With 1000 requests the
      // sampling error (1.6 % standard deviation) is a quarter of the distance to either bound.
      expect(share).toBeGreaterThanOrEqual(3 / 7);
      expect(share).toBeLessThanOrEqual(5 / 9);
    }, 600_000);
  },
);
