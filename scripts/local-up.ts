/**
 * `npm start`: a local control plane (the test harness), the operator as its chart's
 * ServiceAccount would run it, examples/ applied, and the ModelDeployments' status and
 * events printed. The cluster stays up until Ctrl-C so a user can go on with kubectl.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type Cluster } from '../test/cluster/harness.js';
import { OperatorProcess } from '../test/support/operator-process.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const NAMESPACE = 'default';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`==> ${what}`);
  try {
    const value = await run();
    say(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return value;
  } catch (err) {
    throw new Error(`step "${what}" failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

async function kubectl(cluster: Cluster, args: string[], stdin?: string): Promise<string> {
  const res = await cluster.kubectl(args, stdin);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout;
}

async function waitReady(cluster: Cluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await kubectl(cluster, [
      'get',
      'mdep',
      '-n',
      NAMESPACE,
      '-o',
      'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    const states = out.split('\n').filter(Boolean);
    if (states.length > 0 && states.every((s) => s === 'True')) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

async function main(): Promise<void> {
  const cluster = await step(
    'start a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)',
    () => startCluster({ log: (l) => say(`    ${l}`) }),
  );
  let operator: OperatorProcess | undefined;
  const stop = async (code: number): Promise<never> => {
    await operator?.stop();
    await cluster.stop().catch((err: unknown) => say(String(err)));
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    operator = await step('start the operator', () =>
      OperatorProcess.start({ kubeconfigPath: cluster.kubeconfigPath, namespaces: [] }),
    );
    const examples = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));
    await step(`apply examples/ (${examples.join(', ')})`, async () => {
      for (const f of examples)
        say(await kubectl(cluster, ['apply', '-n', NAMESPACE, '-f', join(REPO, 'examples', f)]));
    });
    const ok = await step('wait for every ModelDeployment to be Ready', () =>
      waitReady(cluster, 120_000),
    );
    say(await kubectl(cluster, ['get', 'mdep', '-n', NAMESPACE, '-o', 'wide']));
    say(
      await kubectl(cluster, [
        'get',
        'events',
        '-n',
        NAMESPACE,
        '--field-selector',
        'reportingComponent=modeldeploy.io/operator',
        '--sort-by=.metadata.creationTimestamp',
      ]),
    );
    if (!ok) say('Some ModelDeployments are not Ready yet; `kubectl describe mdep` tells why.');
  } catch (err) {
    say(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    say('Nothing was left running. Fix the step above and run `npm start` again.');
    await stop(1);
  }
  say('');
  say('The cluster and the operator keep running. In another shell:');
  say(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
  say(`  export PATH=${cluster.binDir}:$PATH`);
  say('  kubectl get mdep -w');
  say(
    'Pods run on kwok fake nodes here: they are scheduled and become Ready, but no model is loaded.',
  );
  say('Stop with Ctrl-C.');
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
