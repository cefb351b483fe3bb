/**
 * The operator image, run by Docker on the host network (the test control plane listens
 * on 127.0.0.1), as the chart's ServiceAccount with a read-only root filesystem: it must
 * reconcile an example to Ready and stop cleanly on SIGTERM.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCluster, type Cluster } from '../cluster/harness.js';
import { operatorKubeconfig } from '../support/operator-identity.js';
import { containerLogs, removeContainer, stopGracefully } from './containers.js';
import { IMAGES } from './images.js';

class ReadOnlyContainer extends GenericContainer {
  readOnlyRoot(): this {
    this.hostConfig.ReadonlyRootfs = true;
    return this;
  }
}

describe.skipIf(!inject('operatorImageBuilt'))(
  'operator image against the test control plane',
  () => {
    let cluster: Cluster;
    let operator: StartedTestContainer;
    const ns = 'image-test';

    beforeAll(async () => {
      cluster = await startCluster({ gatewayApi: false });
      await cluster.kubectl(['create', 'namespace', ns]);
      const saPath = await operatorKubeconfig({
        adminKubeconfig: cluster.kubeconfig,
        adminKubeconfigPath: cluster.kubeconfigPath,
        binDir: cluster.binDir,
        namespace: ns,
      });
      // The container's user (65532) must be able to read the mounted kubeconfig.
      const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-operator-image-'));
      const path = join(dir, 'kubeconfig');
      writeFileSync(path, readFileSync(saPath));
      chmodSync(dir, 0o755);
      chmodSync(path, 0o644);
      operator = await new ReadOnlyContainer(IMAGES.operator)
        .readOnlyRoot()
        .withNetworkMode('host')
        .withDroppedCapabilities('ALL')
        .withSecurityOpt('no-new-privileges')
        .withBindMounts([{ source: path, target: '/etc/modeldeploy/kubeconfig', mode: 'ro' }])
        .withEnvironment({
          KUBECONFIG: '/etc/modeldeploy/kubeconfig',
          WATCH_NAMESPACES: ns,
          LEADER_ELECT: 'true',
          LEADER_ELECTION_NAMESPACE: ns,
          POD_NAME: 'operator-image-test',
          METRICS_BIND_ADDRESS: '127.0.0.1:0',
          HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0',
        })
        .withLabels({ 'io.modeldeploy.test': 'images' })
        .withWaitStrategy(Wait.forLogMessage(/became leader/))
        .withStartupTimeout(60_000)
        .start();
    }, 180_000);

    afterAll(async () => {
      if (operator) await removeContainer(operator).catch(() => undefined);
      await cluster?.stop();
    });

    it('reconciles examples/minimal.yaml to Ready and exits 0 on SIGTERM', async () => {
      const example = readFileSync(new URL('../../examples/minimal.yaml', import.meta.url), 'utf8');
      const applied = await cluster.kubectl(['apply', '-n', ns, '-f', '-'], example);
      expect(applied.stderr).toBe('');
      const waited = await cluster.kubectl([
        'wait',
        'mdep/iris-tiny',
        '-n',
        ns,
        '--for=condition=Ready',
        '--timeout=90s',
      ]);
      expect(waited.code, waited.stderr).toBe(0);
      const image = await cluster.kubectl([
        'get',
        'deployment',
        'iris-tiny',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]);
      expect(image.stdout).toMatch(/^modeldeploy\/runtime:/);
      const code = await stopGracefully(operator, 20_000);
      const logs = await containerLogs(operator);
      expect(code, logs.slice(-2000)).toBe(0);
      expect(logs).toContain('"msg":"stopped"');
    }, 180_000);
  },
);
