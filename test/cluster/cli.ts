/**
 * `npm run cluster`: the test control plane in the foreground, for people.
 * Prints the KUBECONFIG to export; Ctrl-C stops everything and removes its files.
 *
 *   npm run cluster                  kwok fake nodes only
 *   npm run cluster -- --real-node   plus one real node (containerd, kubelet, kube-proxy)
 */
import { startCluster } from './harness.js';
import { realNodeSupport } from './real-node.js';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const USAGE = 'usage: npm run cluster [-- --real-node]';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--real-node');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}; ${USAGE}`);
  const realNode = args.includes('--real-node');
  if (realNode) {
    const support = realNodeSupport();
    if (!support.ok) throw new Error(`--real-node cannot run here: ${support.reason}`);
  }
  const cluster = await startCluster({ realNode, log: (line) => say(`[cluster] ${line}`) });
  const versions = cluster.tools.versions;
  say('');
  say(
    `Kubernetes ${String(versions['kubernetes'])} is up at ${cluster.server} (kwok nodes: ${cluster.nodeNames.join(', ')}).`,
  );
  if (cluster.realNode !== undefined) {
    const node = cluster.realNode;
    say(
      `Real node ${node.name} (${node.ip}, pods ${node.podCidr}) Ready ${process.uptime().toFixed(1)} s after this command started; images: ${node.images.join(', ') || 'none (run scripts/build-images.sh)'}.`,
    );
    say(`  Pin pods to it with nodeSelector kubernetes.io/hostname: ${node.name}.`);
  }
  say('In another shell:');
  say(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
  say(`  export PATH=${cluster.binDir}:$PATH   # kubectl, helm, kwok of the pinned versions`);
  say('  kubectl apply -f examples/');
  say(`Component logs: ${cluster.logDir}`);
  say('Stop with Ctrl-C (removes the cluster and its kubeconfig).');
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping the cluster...`);
    cluster.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // Keep the process alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `cluster failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
