/**
 * `npm run cluster`: the test control plane in the foreground, for people.
 * Prints the KUBECONFIG to export; Ctrl-C stops everything and removes its files.
 */
import { startCluster } from './harness.js';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  const cluster = await startCluster({ log: (line) => say(`[cluster] ${line}`) });
  const versions = cluster.tools.versions;
  say('');
  say(
    `Kubernetes ${String(versions['kubernetes'])} is up at ${cluster.server} (kwok nodes: ${cluster.nodeNames.join(', ')}).`,
  );
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
