/**
 * Operator benchmark (docs/benchmarks.md#operator-n-modeldeployments-to-ready-issue-6):
 * against the harness control plane, create N
 * ModelDeployments and measure the time until every one is Ready, the operator's peak
 * RSS and its API write calls per resource; then the same children created directly by
 * a plain script (the API server's own limit), and the writes in steady state.
 *
 *   node --import tsx bench/operator/run.ts [N ...]      default: 100 500 1000
 *
 * Prints a table and writes bench/results/operator.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../../operator/src/kube/kube-client.js';
import { KINDS, collectionPath } from '../../operator/src/kube/kinds.js';
import type { KubeObject } from '../../operator/src/kube/object.js';
import { parseModelDeployment } from '../../operator/src/api/model-deployment.js';
import { buildDeployment } from '../../operator/src/resources/deployment.js';
import { buildService } from '../../operator/src/resources/service.js';
import { startCluster, type Cluster } from '../../test/cluster/harness.js';
import { OperatorProcess } from '../../test/support/operator-process.js';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
// Run `npm run build -w operator` first: the benchmark measures the compiled operator.
const CONCURRENCY = 16;

interface Row {
  n: number;
  directSeconds: number;
  operatorSeconds: number;
  ratio: number;
  peakRssMiB: number;
  writesPerResource: number;
  steadyStateWrites: number;
}

function mdep(ns: string, i: number): KubeObject {
  return {
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name: `m${i}`, namespace: ns },
    spec: { model: { version: '1', uri: 'https://models.example/m.onnx' } },
  };
}

async function pool<T>(items: readonly T[], run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++] as T);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.create(
    '/api/v1/namespaces',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    'bench',
  );
}

async function countAvailable(client: KubeClient, ns: string): Promise<number> {
  const list = await client.list<KubeObject & { status?: { availableReplicas?: number } }>(
    collectionPath(KINDS.deployment, ns),
  );
  return list.items.filter((d) => (d.status?.availableReplicas ?? 0) >= 1).length;
}

/** The floor: the same Deployment and Service per item, created by a plain script. */
async function direct(client: KubeClient, n: number): Promise<number> {
  const ns = `direct-${n}`;
  await createNamespace(client, ns);
  const started = performance.now();
  await pool([...Array(n).keys()], async (i) => {
    const parsed = parseModelDeployment({
      ...mdep(ns, i),
      metadata: { name: `m${i}`, namespace: ns, uid: 'x' },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const md = parsed.value;
    const dep = buildDeployment(md, {
      track: 'stable',
      model: md.spec.model,
      replicas: 1,
      defaultImage: 'bench/runtime:1',
    });
    const svc = buildService(md, 'main');
    const strip = (o: object): KubeObject => {
      const obj = structuredClone(o) as KubeObject;
      delete obj.metadata.ownerReferences;
      return obj;
    };
    await client.create(collectionPath(KINDS.deployment, ns), strip(dep), 'bench');
    await client.create(collectionPath(KINDS.service, ns), strip(svc), 'bench');
  });
  await waitUntil(
    `${n} direct Deployments available`,
    async () => (await countAvailable(client, ns)) >= n,
    30 * 60_000,
  );
  return (performance.now() - started) / 1000;
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function viaOperator(
  cluster: Cluster,
  client: KubeClient,
  n: number,
): Promise<Omit<Row, 'directSeconds' | 'ratio'>> {
  const ns = `operator-${n}`;
  await createNamespace(client, ns);
  const op = await OperatorProcess.start({
    kubeconfigPath: cluster.kubeconfigPath,
    namespaces: [ns],
    env: { RESYNC_SECONDS: '30', MAX_CONCURRENT_RECONCILES: '8' },
    // The compiled operator, as the image runs it: tsx's loader would add to the RSS.
    entry: 'dist',
  });
  try {
    const writesBefore = await op.writes();
    const started = performance.now();
    await pool([...Array(n).keys()], (i) =>
      client.create(collectionPath(KINDS.modelDeployment, ns), mdep(ns, i), 'bench'),
    );
    await waitUntil(
      `${n} ModelDeployments Ready`,
      async () => {
        const list = await client.list<
          KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
        >(collectionPath(KINDS.modelDeployment, ns));
        const ready = list.items.filter((m) =>
          m.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length >= n;
      },
      30 * 60_000,
    );
    const seconds = (performance.now() - started) / 1000;
    const writes = (await op.writes()) - writesBefore;
    // Steady state: let in-flight status updates land, then watch a full resync period.
    await new Promise((r) => setTimeout(r, 5_000));
    const settled = await op.writes();
    await new Promise((r) => setTimeout(r, 35_000));
    const steady = (await op.writes()) - settled;
    const rss = op.pid ? peakRssMiB(op.pid) : 0;
    return {
      n,
      operatorSeconds: seconds,
      peakRssMiB: rss,
      writesPerResource: writes / n,
      steadyStateWrites: steady,
    };
  } finally {
    await op.stop();
  }
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const ns = sizes.length > 0 ? sizes : [100, 500, 1000];
  const cluster = await startCluster({
    nodes: 4,
    // Every stage's namespace keeps its pods: room for all of them, so none stays Pending.
    nodePods: String(Math.ceil((ns.reduce((a, b) => a + b, 0) * 2) / 4) + 100),
    gatewayApi: false,
    log: (l) => process.stderr.write(`[cluster] ${l}\n`),
  });
  const rows: Row[] = [];
  try {
    const client = await KubeClient.load(cluster.kubeconfigPath);
    for (const n of ns) {
      process.stderr.write(`n=${n}: direct create...\n`);
      const directSeconds = await direct(client, n);
      process.stderr.write(`n=${n}: via operator...\n`);
      const op = await viaOperator(cluster, client, n);
      rows.push({ ...op, directSeconds, ratio: op.operatorSeconds / directSeconds });
    }
    client.close();
  } finally {
    await cluster.stop();
  }
  const header =
    '| N | direct create → Available (s) | operator → Ready (s) | ratio | operator peak RSS (MiB) | writes / resource | writes in steady state (35 s) |';
  console.log(header);
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.n} | ${r.directSeconds.toFixed(1)} | ${r.operatorSeconds.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.peakRssMiB.toFixed(0)} | ${r.writesPerResource.toFixed(2)} | ${r.steadyStateWrites} |`,
    );
  }
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(
    `${RESULTS}operator.json`,
    JSON.stringify({ date: new Date().toISOString(), rows }, null, 2),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
