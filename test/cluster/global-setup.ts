/**
 * vitest globalSetup of the `integration` project: one real control plane for all its
 * test files. Tests read it with `inject('kubeconfigPath')` etc.; a test that needs to
 * restart the API server (and so would disturb the others) calls startCluster() itself.
 */
import type { TestProject } from 'vitest/node';
import { guardTeardown } from '../support/teardown-guard.js';
import { startCluster } from './harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin kubeconfig text (client certificate in system:masters, inline). */
    kubeconfig: string;
    /** The same kubeconfig as a file, for KUBECONFIG and kubectl. */
    kubeconfigPath: string;
    /** https://127.0.0.1:<port> */
    server: string;
    /** etcd, kube-*, kubectl, kwok, helm of the pinned versions. */
    binDir: string;
    /** Names of the kwok fake nodes. */
    nodeNames: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startCluster({
    log: (line) => process.stderr.write(`[cluster] ${line}\n`),
  });
  project.provide('kubeconfig', cluster.kubeconfig);
  project.provide('kubeconfigPath', cluster.kubeconfigPath);
  project.provide('server', cluster.server);
  project.provide('binDir', cluster.binDir);
  project.provide('nodeNames', [...cluster.nodeNames]);
  // stop() throws when any component pid or any process mentioning the cluster's temp
  // dir survives; the guard makes that fail the run: a leaked process is a bug, not noise.
  return guardTeardown('the integration cluster', () => cluster.stop());
}
