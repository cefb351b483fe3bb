/**
 * vitest globalSetup of the `e2e` project: one cluster with a REAL node (containerd,
 * kubelet, kube-proxy; test/cluster/real-node.ts) beside one kwok node. When this machine
 * cannot run a real node (not root, packages missing, cgroups read-only) the suites skip
 * with the reason in their name; missing images are an error that says how to build them.
 */
import type { TestProject } from 'vitest/node';
import { dockerImageExists } from '../cluster/docker.js';
import { startCluster } from '../cluster/harness.js';
import { realNodeSupport } from '../cluster/real-node.js';
import { imageName } from '../support/image-tag.js';
import { guardTeardown } from '../support/teardown-guard.js';

/** The runtime with every examples/models/*.onnx in /models (scripts/build-images.sh). */
export const E2E_RUNTIME_IMAGE = imageName('runtime-examples');
/** The operator image the chart installs as a pod on the real node (chart-install.test.ts). */
export const E2E_OPERATOR_IMAGE = imageName('operator');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Empty when the real node runs; otherwise why the e2e suites skip. */
    e2eSkipReason: string;
    /** Name of the real node (pin pods with nodeSelector kubernetes.io/hostname). */
    realNodeName: string;
    /** Image the operator's runtime pods use (RUNTIME_IMAGE). */
    e2eRuntimeImage: string;
    /** Operator image in the node's containerd, for the chart's in-cluster install. */
    e2eOperatorImage: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const support = realNodeSupport();
  project.provide('e2eRuntimeImage', E2E_RUNTIME_IMAGE);
  project.provide('e2eOperatorImage', E2E_OPERATOR_IMAGE);
  if (!support.ok) {
    project.provide('e2eSkipReason', support.reason);
    project.provide('realNodeName', '');
    return async () => undefined;
  }
  for (const [image, target] of [
    [E2E_RUNTIME_IMAGE, 'runtime runtime-examples'],
    [E2E_OPERATOR_IMAGE, 'operator'],
  ] as const) {
    if (!(await dockerImageExists(image))) {
      throw new Error(
        `the e2e suites run ${image} on the real node and it is not in the local Docker daemon; build it with: bash scripts/build-images.sh ${target}`,
      );
    }
  }
  const cluster = await startCluster({
    realNode: true,
    nodes: 1,
    nodeImages: [E2E_RUNTIME_IMAGE, E2E_OPERATOR_IMAGE],
    // The autoscaling suite (autoscaling.test.ts) watches HPAs react; the default sync is 15 s.
    controllerManagerArgs: ['--horizontal-pod-autoscaler-sync-period=5s'],
    log: (line) => process.stderr.write(`[cluster] ${line}\n`),
  });
  const node = cluster.realNode;
  if (node === undefined) throw new Error('startCluster({ realNode: true }) returned no real node');
  process.stderr.write(
    `[cluster] real node ${node.name} Ready ${node.readyMs} ms after the control plane started\n`,
  );
  project.provide('e2eSkipReason', '');
  project.provide('realNodeName', node.name);
  project.provide('kubeconfig', cluster.kubeconfig);
  project.provide('kubeconfigPath', cluster.kubeconfigPath);
  project.provide('server', cluster.server);
  project.provide('binDir', cluster.binDir);
  project.provide('nodeNames', [...cluster.nodeNames]);
  // stop() throws when the real node left mounts, links, chains, cgroups or processes.
  return guardTeardown('the e2e cluster with a real node', () => cluster.stop());
}
