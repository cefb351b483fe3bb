/**
 * A cluster whose Gateway API bundle predates GRPCRoute (HTTPRoute served, GRPCRoute not):
 * the operator still reconciles a gatewayAPI ModelDeployment to Ready through its HTTPRoute
 * and says, in an Event, that gRPC is not routed and why. Runs on a cluster of its own,
 * since the shared one has the whole bundle.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '../../cluster/harness.js';
import { ensureTools } from '../../cluster/tools.js';
import { kubectl, kubectlOk } from '../../cluster/kubectl.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { operatorKubeconfig } from '../../support/operator-identity.js';
import { eventually } from '../cluster/cluster-kit.js';

interface MDep {
  status?: { conditions?: { type: string; status: string; reason: string }[] };
}
interface EventList {
  items: { reason?: string; note?: string; type?: string; regarding?: { name?: string } }[];
}

const manifest = `
apiVersion: modeldeploy.io/v1alpha1
kind: ModelDeployment
metadata: { name: routed }
spec:
  model: { version: "1", uri: "https://models.example/m.onnx" }
  traffic: { router: gatewayAPI, gatewayRef: { name: inference } }
`;

/** What a Gateway controller writes when it accepts the route. */
const accepted = JSON.stringify({
  status: {
    parents: [
      {
        parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'inference' },
        controllerName: 'example.net/test-gateway',
        conditions: [
          {
            type: 'Accepted',
            status: 'True',
            reason: 'Accepted',
            message: 'route accepted',
            lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            observedGeneration: 1,
          },
        ],
      },
    ],
  },
});

describe('gatewayAPI routing on a cluster without the GRPCRoute CRD', () => {
  let cluster: Cluster;
  let op: OperatorProcess | undefined;
  const ns = 'no-grpcroute';
  const kc = (args: string[], stdin?: string): Promise<string> =>
    kubectlOk(join(cluster.binDir, 'kubectl'), cluster.kubeconfigPath, args, stdin);

  beforeAll(async () => {
    cluster = await startCluster({ gatewayApiWithout: ['grpcroutes'] });
    await kc(['create', 'namespace', ns]);
    const saKubeconfig = await operatorKubeconfig({
      adminKubeconfig: cluster.kubeconfig,
      adminKubeconfigPath: cluster.kubeconfigPath,
      binDir: cluster.binDir,
      namespace: ns,
    });
    op = await OperatorProcess.start({
      kubeconfigPath: saKubeconfig,
      namespaces: [ns],
      // Look again for the missing API every 2 s instead of every minute.
      env: { OPTIONAL_API_RETRY_SECONDS: '2' },
    });
  }, 180_000);

  afterAll(async () => {
    await op?.stop();
    await cluster?.stop();
  });

  it('reconciles to Ready through the HTTPRoute and warns that gRPC is not routed', async () => {
    const grpcApi = await kubectl(join(cluster.binDir, 'kubectl'), cluster.kubeconfigPath, [
      'get',
      'grpcroutes.gateway.networking.k8s.io',
      '-n',
      ns,
    ]);
    expect(grpcApi.code).not.toBe(0);
    await kc(['apply', '-n', ns, '-f', '-'], manifest);
    await eventually('HTTPRoute routed', async () =>
      (await kc(['get', 'httproute', '-n', ns, '-o', 'name'])).includes('routed')
        ? true
        : undefined,
    );
    await kc([
      'patch',
      'httproute',
      'routed',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      accepted,
    ]);
    const md = await eventually('routed Ready', async () => {
      const got = JSON.parse(await kc(['get', 'mdep', 'routed', '-n', ns, '-o', 'json'])) as MDep;
      const ready = got.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' ? got : undefined;
    });
    expect(md.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('False');
    const warning = await eventually('GRPCRouteNotInstalled event', async () => {
      const events = JSON.parse(
        await kc(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json']),
      ) as EventList;
      return events.items.find(
        (e) => e.reason === 'GRPCRouteNotInstalled' && e.regarding?.name === 'routed',
      );
    });
    expect(warning.type).toBe('Warning');
    expect(warning.note).toContain('no GRPCRoute API');
  }, 180_000);

  it('routes gRPC once the GRPCRoute CRD is installed, without an operator restart', async () => {
    const pid = op?.pid;
    const tools = await ensureTools();
    const crd = tools.gatewayApiCrdFiles.find((file) => file.endsWith('_grpcroutes.yaml'));
    if (crd === undefined) throw new Error('the cluster tools hold no GRPCRoute CRD');
    await kc(['apply', '--server-side', '-f', crd]);
    await kc([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/grpcroutes.gateway.networking.k8s.io',
    ]);
    const route = await eventually('GRPCRoute routed', async () => {
      const names = await kc([
        'get',
        'grpcroutes.gateway.networking.k8s.io',
        '-n',
        ns,
        '-o',
        'name',
      ]);
      return names.includes('routed') ? names : undefined;
    });
    expect(route).toContain('grpcroute.gateway.networking.k8s.io/routed');
    // The same operator process, still running, made it.
    expect(op?.pid).toBe(pid);
    expect(pid !== undefined && process.kill(pid, 0)).toBe(true);
  }, 180_000);
});
