/**
 * The install path of docs/install.md, as a platform team takes it: `helm install` of
 * charts/modeldeploy puts the operator on the real node as a pod, where it talks to the API
 * server with its ServiceAccount token through the `kubernetes` Service and the chart's
 * RBAC. It serves examples/minimal.yaml; `helm upgrade` (CRD applied first, a values
 * change) keeps the model answering and does not restart it; `helm uninstall` leaves it
 * serving. Traffic goes through the API server's service proxy on loopback into pods this
 * suite made, in bounded loops.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CHART_DIR, helm, type HelmResult } from '../support/helm-chart.js';
import {
  api,
  createNamespace,
  eventually,
  exampleOnRealNode,
  getJson,
  k,
  kOk,
  type GoldenRequest,
} from './e2e-kit.js';

const skipReason = inject('e2eSkipReason');
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = JSON.parse(
  readFileSync(`${REPO}examples/models/mlp-tiny.golden.json`, 'utf8'),
) as GoldenRequest[];
const CRD_FILE = `${CHART_DIR}/crds/modeldeployments.modeldeploy.io.yaml`;
const RELEASE = 'md';
const DEPLOYMENT = `${RELEASE}-modeldeploy`;

interface PodList {
  items: {
    metadata: { name: string; deletionTimestamp?: string };
    spec: { nodeName?: string; containers: { env?: { name: string; value?: string }[] }[] };
    status: { conditions?: { type: string; status: string }[] };
  }[];
}

function helmIn(namespace: string, args: readonly string[]): Promise<HelmResult> {
  return helm(inject('binDir'), [
    ...args,
    '--namespace',
    namespace,
    '--kubeconfig',
    inject('kubeconfigPath'),
  ]);
}

/** `repository:tag` → the chart's image values, pulled never (the node has it imported). */
function imageValues(image: string): string[] {
  const at = image.lastIndexOf(':');
  return [
    `--set=image.repository=${image.slice(0, at)}`,
    `--set=image.tag=${image.slice(at + 1)}`,
    '--set=image.pullPolicy=Never',
  ];
}

async function operatorPods(namespace: string): Promise<PodList['items']> {
  const selector = `app.kubernetes.io/instance=${RELEASE}`;
  const pods = await getJson<PodList>(['-n', namespace, 'pods', '-l', selector]);
  return pods.items.filter((p) => p.metadata.deletionTimestamp === undefined);
}

async function runtimePodNames(namespace: string): Promise<string[]> {
  const selector =
    'app.kubernetes.io/name=modeldeploy-runtime,app.kubernetes.io/instance=iris-tiny';
  const pods = await getJson<PodList>(['-n', namespace, 'pods', '-l', selector]);
  return pods.items
    .filter((p) => p.metadata.deletionTimestamp === undefined)
    .map((p) => p.metadata.name)
    .sort();
}

/** One V2 request to the model through its Service; true when it answered 200. */
async function predictOnce(namespace: string): Promise<boolean> {
  const golden = GOLDEN[0];
  if (golden === undefined) throw new Error('examples/models/mlp-tiny.golden.json is empty');
  try {
    const res = await api(
      'POST',
      `/api/v1/namespaces/${namespace}/services/iris-tiny:http/proxy/v2/models/iris-tiny/infer`,
      { inputs: golden.inputs },
    );
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Requests one after another until `done()` or `max`; counts answers and failures. */
async function predictUntil(
  namespace: string,
  done: () => boolean,
  max: number,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  while (!done() && sent < max) {
    sent += 1;
    if (!(await predictOnce(namespace))) failed += 1;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { sent, failed };
}

/** The chart's CRD with a changed description: a new schema, as a new chart version brings. */
function changedCrd(): string {
  const crd = parse(readFileSync(CRD_FILE, 'utf8')) as {
    metadata: { annotations?: Record<string, string> };
    spec: { versions: { schema: { openAPIV3Schema: { description?: string } } }[] };
  };
  for (const version of crd.spec.versions) {
    const schema = version.schema.openAPIV3Schema;
    schema.description = `${schema.description ?? ''} (upgraded by the e2e suite)`;
  }
  crd.metadata.annotations = { ...crd.metadata.annotations, 'modeldeploy.io/e2e-upgrade': '1' };
  return stringify(crd);
}

describe.skipIf(skipReason !== '')(
  `helm install on the real node${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    let namespace = '';

    beforeAll(async () => {
      namespace = await createNamespace('e2e-chart');
    });

    afterAll(async () => {
      if (namespace === '') return;
      await helmIn(namespace, ['uninstall', RELEASE, '--wait']);
      await k(['delete', 'namespace', namespace, '--wait=false']);
      await k([
        'delete',
        'clusterrole,clusterrolebinding',
        '-l',
        `app.kubernetes.io/instance=${RELEASE}`,
      ]);
    });

    it('installs the operator as a pod that serves examples/minimal.yaml through the kubernetes Service', async () => {
      const install = await helmIn(namespace, [
        'install',
        RELEASE,
        CHART_DIR,
        ...imageValues(inject('e2eOperatorImage')),
        `--set=runtimeImage=${inject('e2eRuntimeImage')}`,
        `--set=watchNamespaces[0]=${namespace}`,
        `--set-json=nodeSelector={"kubernetes.io/hostname":"${inject('realNodeName')}"}`,
        '--wait',
        '--timeout=180s',
      ]);
      expect(install.code, install.stderr).toBe(0);
      const [pod] = await operatorPods(namespace);
      expect(pod?.spec.nodeName).toBe(inject('realNodeName'));
      // No kubeconfig is given: the client library finds the API server as any pod does.
      const env = pod?.spec.containers[0]?.env?.map((e) => e.name) ?? [];
      expect(env).not.toContain('KUBECONFIG');

      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        exampleOnRealNode('minimal.yaml', 'iris-tiny'),
      );
      await kOk([
        '-n',
        namespace,
        'wait',
        '--for=condition=Ready',
        'mdep/iris-tiny',
        '--timeout=180s',
      ]);
      expect(await predictOnce(namespace)).toBe(true);
      const logs = await kOk(['-n', namespace, 'logs', `deployment/${DEPLOYMENT}`]);
      expect(logs).toContain('iris-tiny');
    });

    it('helm upgrade, CRD first: the model answers throughout and its pods are not restarted', async () => {
      const before = await runtimePodNames(namespace);
      expect(before.length).toBeGreaterThan(0);
      let upgraded = false;
      const traffic = predictUntil(namespace, () => upgraded, 3_000);

      await kOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], changedCrd());
      const upgrade = await helmIn(namespace, [
        'upgrade',
        RELEASE,
        CHART_DIR,
        '--reuse-values',
        '--set=logLevel=debug',
        '--wait',
        '--timeout=180s',
      ]);
      await kOk([
        '-n',
        namespace,
        'rollout',
        'status',
        `deployment/${DEPLOYMENT}`,
        '--timeout=120s',
      ]);
      // A few more requests once only the new operator runs.
      await new Promise((r) => setTimeout(r, 3_000));
      upgraded = true;
      const { sent, failed } = await traffic;

      expect(upgrade.code, upgrade.stderr).toBe(0);
      const pods = await operatorPods(namespace);
      expect(pods).toHaveLength(1);
      const logLevel = pods[0]?.spec.containers[0]?.env?.find((e) => e.name === 'LOG_LEVEL');
      expect(logLevel?.value).toBe('debug');
      expect(failed).toBe(0);
      expect(sent).toBeGreaterThan(10);
      expect(await runtimePodNames(namespace)).toEqual(before);

      // The new operator reconciles: a spec change reaches the runtime Deployment.
      await kOk([
        '-n',
        namespace,
        'patch',
        'mdep',
        'iris-tiny',
        '--type=merge',
        '-p',
        '{"spec":{"replicas":2}}',
      ]);
      await eventually(
        'the runtime Deployment scaled to 2 by the upgraded operator',
        async () => {
          const d = await getJson<{ spec: { replicas?: number } }>([
            '-n',
            namespace,
            'deployment',
            'iris-tiny',
          ]);
          return d.spec.replicas === 2 ? true : undefined;
        },
        120_000,
        500,
      );
    });

    it('helm uninstall removes the operator and leaves the model serving', async () => {
      const uninstall = await helmIn(namespace, ['uninstall', RELEASE, '--wait']);
      expect(uninstall.code, uninstall.stderr).toBe(0);
      expect(await operatorPods(namespace)).toHaveLength(0);
      const roles = await kOk(['-n', namespace, 'get', 'role,rolebinding', '-o', 'name']);
      expect(roles).not.toContain(RELEASE);
      await kOk(['-n', namespace, 'get', 'mdep', 'iris-tiny']);
      let answered = 0;
      for (let i = 0; i < 10; i += 1) if (await predictOnce(namespace)) answered += 1;
      expect(answered).toBe(10);
    });
  },
);
