/**
 * Failures an operator must survive: the API server going away mid-watch, and the
 * leader dying. Runs on a cluster of its own because it restarts the API server.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../cluster/harness.js';
import { kubectlOk } from '../../cluster/kubectl.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { operatorKubeconfig } from '../../support/operator-identity.js';
import { eventually } from '../cluster/cluster-kit.js';

interface MDep {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    stable?: { version?: string };
    conditions?: { type: string; status: string }[];
  };
}

const manifest = (version: string): string => `
apiVersion: modeldeploy.io/v1alpha1
kind: ModelDeployment
metadata: { name: sturdy }
spec:
  model: { version: "${version}", uri: "https://models.example/m.onnx" }
`;

describe('operator resilience', () => {
  let cluster: Cluster;
  const ns = 'resilience';
  const operators: OperatorProcess[] = [];
  let saKubeconfig = '';
  const kc = (args: string[], stdin?: string): Promise<string> =>
    kubectlOk(join(cluster.binDir, 'kubectl'), cluster.kubeconfigPath, args, stdin);
  const servesVersion = (version: string): Promise<MDep> =>
    eventually(`sturdy Ready on version ${version}`, async () => {
      const md = JSON.parse(await kc(['get', 'mdep', 'sturdy', '-n', ns, '-o', 'json'])) as MDep;
      const ok =
        md.status?.stable?.version === version &&
        md.status.observedGeneration === md.metadata.generation &&
        md.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return ok ? md : undefined;
    });

  beforeAll(async () => {
    cluster = await startCluster({ gatewayApi: false });
    await kc(['create', 'namespace', ns]);
    saKubeconfig = await operatorKubeconfig({
      adminKubeconfig: cluster.kubeconfig,
      adminKubeconfigPath: cluster.kubeconfigPath,
      binDir: cluster.binDir,
      namespace: ns,
    });
  });

  afterAll(async () => {
    for (const op of operators) await op.stop('SIGKILL');
    await cluster?.stop();
  });

  it('keeps reconciling after the API server restarts under its watches', async () => {
    const op = await OperatorProcess.start({
      kubeconfigPath: saKubeconfig,
      namespaces: [ns],
    });
    operators.push(op);
    await kc(['apply', '-n', ns, '-f', '-'], manifest('1'));
    await servesVersion('1');
    await cluster.restartApiServer();
    await kc(['apply', '-n', ns, '-f', '-'], manifest('2'));
    await servesVersion('2');
    expect(await op.stop()).toBe(0);
  });

  it('elects exactly one leader and fails over within the lease duration', async () => {
    const env = {
      LEADER_ELECT: 'true',
      LEADER_ELECTION_NAMESPACE: ns,
      LEASE_DURATION_SECONDS: '4',
      RENEW_DEADLINE_SECONDS: '3',
      RETRY_PERIOD_SECONDS: '1',
    };
    const a = await OperatorProcess.start({
      kubeconfigPath: saKubeconfig,
      namespaces: [ns],
      env: { ...env, POD_NAME: 'op-a' },
    });
    const b = await OperatorProcess.start({
      kubeconfigPath: saKubeconfig,
      namespaces: [ns],
      env: { ...env, POD_NAME: 'op-b' },
    });
    operators.push(a, b);
    const leaderGauge = (op: OperatorProcess): Promise<number> =>
      op.counter('leader_election_master_status');
    const [leader, standby] = await eventually('one leader', async () => {
      const [la, lb] = [await leaderGauge(a), await leaderGauge(b)];
      if (la + lb !== 1) return undefined;
      return la === 1 ? [a, b] : [b, a];
    });
    // Still exactly one after several renew periods.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await leaderGauge(leader)) + (await leaderGauge(standby))).toBe(1);

    leader.kill('SIGKILL');
    // How fast the standby takes over (about the 4 s lease plus a retry period) is a speed
    // claim, not checked here: with clusters booting beside it, a loaded machine can take
    // longer. The wait below is only where the test gives up.
    await eventually(
      'standby takes over',
      async () => ((await leaderGauge(standby)) === 1 ? true : undefined),
      60_000,
    );
    const lease = JSON.parse(
      await kc(['get', 'lease', 'modeldeploy-operator', '-n', ns, '-o', 'json']),
    ) as {
      spec: { holderIdentity: string; leaseTransitions: number };
    };
    expect(lease.spec.holderIdentity).toBe(standby === a ? 'op-a' : 'op-b');
    await kc(['apply', '-n', ns, '-f', '-'], manifest('3'));
    await servesVersion('3');
    expect(await standby.stop()).toBe(0);
    const released = JSON.parse(
      await kc(['get', 'lease', 'modeldeploy-operator', '-n', ns, '-o', 'json']),
    ) as {
      spec: { holderIdentity?: string };
    };
    expect(released.spec.holderIdentity ?? '').toBe('');
  });
});
