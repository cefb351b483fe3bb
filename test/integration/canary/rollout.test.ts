/**
 * Canary rollouts end to end on the control plane: the operator (as the chart's
 * ServiceAccount) drives steps, weights and analysis; a real Prometheus scrapes real
 * runtime processes on loopback that carry the canary's model, version and track labels,
 * so the analysis the operator runs reads real measurements. Pods run on kwok nodes here;
 * golden checks in real pods are covered by the real-node suite.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNamespace, eventually, getJson, k, kOk } from '../cluster/cluster-kit.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { operatorKubeconfig } from '../../support/operator-identity.js';
import { kstatusOf } from '../../support/kstatus.js';
import {
  startPrometheus,
  stopChild,
  type PrometheusServer,
} from '../../integration-prometheus/prometheus-server.js';
import {
  startLoopbackProcess,
  type LoopbackProcess,
} from '../../integration-prometheus/loopback-process.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MODEL = 'scorer';

interface CanaryStatus {
  phase?: string;
  step?: number;
  weight?: number;
  stepStartedAt?: string;
  failedChecks?: number;
  abortReason?: string;
  message?: string;
  lastAnalysis?: { verdict: string; message: string };
}
interface MDep {
  status?: {
    stable?: { version?: string; weight?: number };
    canary?: CanaryStatus;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

type Runtime = LoopbackProcess;

/** `instance` is the ModelDeployment (`<namespace>/<name>`) whose analysis measures it. */
function startRuntime(
  model: string,
  version: string,
  track: string,
  instance: string,
): Promise<Runtime> {
  return startLoopbackProcess({
    what: `runtime ${version}`,
    args: (port) => [
      '--import',
      'tsx',
      'runtime/src/main.ts',
      '--model',
      model,
      '--port',
      String(port),
    ],
    cwd: REPO,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      GRPC_ENABLED: 'false',
      MODEL_NAME: MODEL,
      MODEL_VERSION: version,
      MODEL_TRACK: track,
      MODELDEPLOY_INSTANCE: instance,
      LOG_LEVEL: 'warn',
      BATCH_MAX_SIZE: '1',
    },
    readyPath: '/ready',
  });
}

/** Bounded background traffic so every analysis window has samples; stops by itself. */
function drive(targets: string[], body: string, maxSeconds: number): { stop(): Promise<number> } {
  let stopped = false;
  let sent = 0;
  const deadline = Date.now() + maxSeconds * 1000;
  const loop = async (url: string): Promise<void> => {
    while (!stopped && Date.now() < deadline && sent < 200_000) {
      sent++;
      const res = await fetch(`${url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
      await res?.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const running = Promise.all(targets.flatMap((t) => [loop(t), loop(t)]));
  return {
    stop: async () => {
      stopped = true;
      await running;
      return sent;
    },
  };
}

function rollout(
  name: string,
  canary: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name },
    spec: {
      model: { name: MODEL, version: '1', uri: 'https://models.example/v1.onnx' },
      replicas: 4,
      canary,
      ...extra,
    },
  });
}

describe('canary rollouts', () => {
  let ns = '';
  let saKubeconfig = '';
  let op: OperatorProcess;
  let prometheus: PrometheusServer;
  const runtimes: Runtime[] = [];
  let traffic: { stop(): Promise<number> } | undefined;

  const mdep = (name: string): Promise<MDep> => getJson<MDep>(['mdep', name, '-n', ns]);
  const cond = (md: MDep, type: string) => md.status?.conditions?.find((c) => c.type === type);
  /** Polls status and keeps every distinct (phase, step, weight) it saw, in order. */
  async function history(
    name: string,
    until: (md: MDep) => boolean,
    timeoutMs: number,
  ): Promise<{ seen: string[]; last: MDep }> {
    const seen: string[] = [];
    const last = await eventually(
      `${name} rollout`,
      async () => {
        const md = await mdep(name);
        const c = md.status?.canary;
        const ready = cond(md, 'Ready')?.status ?? '-';
        const entry = `${c?.phase ?? '-'} step=${c?.step ?? '-'} weight=${c?.weight ?? '-'} stable=${md.status?.stable?.version ?? '-'} Ready=${ready}`;
        if (seen[seen.length - 1] !== entry) seen.push(entry);
        return until(md) ? md : undefined;
      },
      timeoutMs,
    );
    return { seen, last };
  }

  beforeAll(async () => {
    ns = await createNamespace('canary');
    const stable = await startRuntime(
      'examples/models/mlp-tiny.onnx',
      '1',
      'stable',
      `${ns}/healthy`,
    );
    const good = await startRuntime(
      'examples/models/mlp-tiny-v2.onnx',
      '2',
      'canary',
      `${ns}/healthy`,
    );
    const slow = await startRuntime('examples/models/mlp-heavy.onnx', '3', 'canary', `${ns}/slow`);
    runtimes.push(stable, good, slow);
    prometheus = await startPrometheus({
      targets: runtimes.map((r) => `127.0.0.1:${r.port}`),
      scrapeIntervalSeconds: 1,
    });
    const input = Array.from({ length: 64 }, (_, i) => (i % 7) / 7);
    traffic = drive([stable.url, good.url], JSON.stringify({ inputs: { input: [input] } }), 600);
    const heavyInput = Array.from({ length: 512 }, (_, i) => (i % 5) / 5);
    const heavyTraffic = drive(
      [slow.url],
      JSON.stringify({ inputs: { input: [heavyInput] } }),
      600,
    );
    const both = traffic;
    traffic = { stop: async () => (await both.stop()) + (await heavyTraffic.stop()) };
    saKubeconfig = await operatorKubeconfig({
      adminKubeconfig: inject('kubeconfig'),
      adminKubeconfigPath: inject('kubeconfigPath'),
      binDir: inject('binDir'),
      namespace: ns,
    });
    op = await OperatorProcess.start({
      kubeconfigPath: saKubeconfig,
      namespaces: [ns],
      env: { ANALYSIS_PROMETHEUS_URLS: prometheus.url },
    });
  }, 180_000);

  afterAll(async () => {
    const sent = await traffic?.stop();
    process.stderr.write(`[canary] background requests sent: ${sent ?? 0}\n`);
    await op?.stop();
    for (const r of runtimes) await stopChild(r.child);
    await prometheus?.stop();
    await k(['delete', 'namespace', ns, '--wait=false']);
  });

  it('walks a healthy canary through every step on measured analysis, resumes after an operator restart, and promotes it', async () => {
    const analysis = {
      intervalSeconds: 5,
      maxErrorRate: 0.05,
      maxLatencyP95Ms: 1000,
      failureLimit: 2,
      prometheusUrl: prometheus.url,
    };
    const steps = [
      { weight: 25, pauseSeconds: 6 },
      { weight: 50, pauseSeconds: 6 },
    ];
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      rollout('healthy', {
        model: { version: '2', uri: 'https://models.example/v2.onnx' },
        steps,
        analysis,
      }),
    );
    // status.canary.weight is the share ready pods give: 25 % once the stable track is down
    // to 3 of 4 pods, not while its fourth pod still serves.
    const first = await history(
      'healthy',
      (md) => md.status?.canary?.phase === 'Progressing' && md.status.canary.weight === 25,
      60_000,
    );
    const startedAt = first.last.status?.canary?.stepStartedAt;
    // Under replicaRatio 25% of 4 pods is 1 canary pod and 3 stable ones.
    const canaryDep = await getJson<{ spec: { replicas: number } }>([
      'deployment',
      'healthy-canary',
      '-n',
      ns,
    ]);
    const stableDep = await getJson<{ spec: { replicas: number } }>([
      'deployment',
      'healthy',
      '-n',
      ns,
    ]);
    expect([stableDep.spec.replicas, canaryDep.spec.replicas]).toEqual([3, 1]);
    expect(first.last.status?.canary?.weight).toBe(25);
    expect(first.last.status?.stable?.weight).toBe(75);

    // Restart the operator mid-step: the new process must continue, not restart the rollout.
    expect(await op.stop()).toBe(0);
    op = await OperatorProcess.start({
      kubeconfigPath: saKubeconfig,
      namespaces: [ns],
      env: { ANALYSIS_PROMETHEUS_URLS: prometheus.url },
    });
    const resumed = await mdep('healthy');
    expect(
      resumed.status?.canary?.stepStartedAt === startedAt ||
        (resumed.status?.canary?.step ?? 0) >= 1,
    ).toBe(true);

    const rest = await history('healthy', (md) => md.status?.canary?.phase === 'Promoted', 150_000);
    const seen = [...first.seen, ...rest.seen];
    process.stderr.write(`[canary] promoted rollout:\n  ${seen.join('\n  ')}\n`);
    const phases = seen.map((s) => s.split(' ')[0]);
    expect(phases.indexOf('Progressing')).toBeGreaterThan(-1);
    expect(phases.lastIndexOf('Verifying')).toBeLessThan(phases.indexOf('Progressing'));
    expect(seen.some((s) => s.startsWith('Progressing step=1 weight=50'))).toBe(true);
    expect(rest.last.status?.canary?.lastAnalysis?.verdict).toBe('Pass');
    expect(rest.last.status?.stable?.version).toBe('2');
    const promoted = await getJson<{
      spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    }>(['deployment', 'healthy', '-n', ns]);
    expect(
      promoted.spec.template.spec.containers[0]?.env.find((e) => e.name === 'MODEL_VERSION')?.value,
    ).toBe('2');
    await eventually('canary Deployment removed', async () =>
      (await k(['get', 'deployment', 'healthy-canary', '-n', ns])).code !== 0 ? true : undefined,
    );
  }, 300_000);

  it('rolls back a slow canary with the failing measurement in the condition', async () => {
    const analysis = {
      intervalSeconds: 5,
      maxErrorRate: 0.05,
      maxLatencyP95Ms: 1,
      failureLimit: 1,
      prometheusUrl: prometheus.url,
    };
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      rollout('slow', {
        model: { version: '3', uri: 'https://models.example/v3.onnx' },
        steps: [{ weight: 25, pauseSeconds: 30 }],
        analysis,
      }),
    );
    const { seen, last } = await history(
      'slow',
      (md) => md.status?.canary?.phase === 'Aborted',
      90_000,
    );
    process.stderr.write(`[canary] rolled-back rollout:\n  ${seen.join('\n  ')}\n`);
    expect(cond(last, 'Degraded')).toMatchObject({ status: 'True', reason: 'RolloutAborted' });
    expect(cond(last, 'Degraded')?.message).toMatch(/p95/i);
    // What Flux and Helm's watcher conclude (the kstatus library itself): failed, not pending.
    expect((await kstatusOf([last]))[0]?.status).toBe('Failed');
    expect(last.status?.canary?.abortReason).toBe('RolloutAborted');
    expect(last.status?.canary?.weight).toBe(0);
    expect(last.status?.stable?.version).toBe('1');
    await eventually('canary scaled to zero', async () => {
      const res = await k([
        'get',
        'deployment',
        'slow-canary',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.replicas}',
      ]);
      return res.code !== 0 || res.stdout === '0' ? true : undefined;
    });
    const events = await kOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=slow',
      '-o',
      'json',
    ]);
    expect(events).toContain('RolloutAborted');
  }, 300_000);

  /** Plays the Gateway controller: reports the HTTPRoute Accepted (or not) by its parent. */
  async function reportRoute(name: string, accepted: boolean): Promise<void> {
    await eventually(`HTTPRoute ${name}`, async () =>
      (await k(['get', 'httproute', name, '-n', ns])).code === 0 ? true : undefined,
    );
    const status = {
      parents: [
        {
          parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'inference' },
          controllerName: 'example.net/test-gateway',
          conditions: [
            {
              type: 'Accepted',
              status: accepted ? 'True' : 'False',
              reason: accepted ? 'Accepted' : 'NoMatchingParent',
              message: accepted ? 'route accepted' : 'no listener of inference allows this route',
              lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
              observedGeneration: 1,
            },
          ],
        },
      ],
    };
    await kOk([
      'patch',
      'httproute',
      name,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ]);
  }

  type Route = {
    metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
    spec: {
      parentRefs: { name: string }[];
      hostnames: string[];
      rules: {
        matches?: { headers?: { name: string; value: string }[] }[];
        backendRefs: { name: string; weight: number; port: number }[];
      }[];
    };
  };
  // The API server defaults every rule's matches to a PathPrefix "/": the weighted rule is the
  // one without header matches.
  const weightedRule = (r: Route) =>
    r.spec.rules.find((rule) => !(rule.matches ?? []).some((m) => m.headers !== undefined));

  it('sets HTTPRoute backend weights under the gatewayAPI router, pins by header, and promotes on a spec edit', async () => {
    const manifest = rollout(
      'routed',
      {
        model: { version: '2', uri: 'https://models.example/v2.onnx' },
        steps: [{ weight: 10, pauseSeconds: 3600 }],
      },
      {
        traffic: {
          router: 'gatewayAPI',
          gatewayRef: { name: 'inference' },
          hostnames: ['routed.example.com'],
        },
      },
    );
    await kOk(['apply', '-n', ns, '-f', '-'], manifest);
    await reportRoute('routed', true);
    await history(
      'routed',
      (md) => md.status?.canary?.phase === 'Progressing' && md.status.canary.weight === 10,
      60_000,
    );
    const route = await getJson<Route>(['httproute', 'routed', '-n', ns]);
    expect(route.spec.parentRefs[0]?.name).toBe('inference');
    expect(route.spec.hostnames).toEqual(['routed.example.com']);
    expect(weightedRule(route)?.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['routed-stable', 90],
      ['routed-canary', 10],
    ]);
    const pinned = route.spec.rules
      .filter((r) => (r.matches ?? []).some((m) => m.headers !== undefined))
      .map((r) => [r.matches?.[0]?.headers?.[0]?.value, r.backendRefs[0]?.name]);
    expect(pinned).toEqual([
      ['canary', 'routed-canary'],
      ['stable', 'routed-stable'],
    ]);
    // The GRPCRoute sibling: same parent, hostnames and weights, on the Services' grpc port.
    const grpc = await getJson<Route>(['grpcroute', 'routed', '-n', ns]);
    expect(grpc.metadata.ownerReferences).toMatchObject([
      { kind: 'ModelDeployment', name: 'routed', controller: true },
    ]);
    expect(grpc.spec.parentRefs[0]?.name).toBe('inference');
    expect(grpc.spec.hostnames).toEqual(['routed.example.com']);
    expect(weightedRule(grpc)?.backendRefs.map((b) => [b.name, b.port, b.weight])).toEqual([
      ['routed-stable', 8081, 90],
      ['routed-canary', 8081, 10],
    ]);
    // The step pauses for an hour; promote now by editing the spec.
    await kOk([
      'patch',
      'mdep',
      'routed',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"canary":{"promote":true}}}',
    ]);
    const { last } = await history(
      'routed',
      (md) => md.status?.canary?.phase === 'Promoted',
      60_000,
    );
    expect(last.status?.stable?.version).toBe('2');
    await eventually('route back to 100% stable, naming no canary Service', async () => {
      const r = await getJson<Route>(['httproute', 'routed', '-n', ns]);
      const json = JSON.stringify(r.spec);
      const weights = Object.fromEntries(
        weightedRule(r)?.backendRefs.map((b) => [b.name, b.weight]) ?? [],
      );
      return weights['routed-stable'] === 100 && !json.includes('routed-canary') ? true : undefined;
    });
    await eventually('GRPCRoute back to 100% stable with the HTTPRoute', async () => {
      const r = await getJson<Route>(['grpcroute', 'routed', '-n', ns]);
      const split = weightedRule(r)?.backendRefs.map((b) => [b.name, b.weight]);
      return JSON.stringify(split) === JSON.stringify([['routed-stable', 100]]) ? true : undefined;
    });
    // Off the gatewayAPI router, neither route is wanted any more: both are deleted.
    await kOk([
      'patch',
      'mdep',
      'routed',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/traffic"}]',
    ]);
    for (const kind of ['httproute', 'grpcroute']) {
      await eventually(`${kind} routed deleted`, async () =>
        (await k(['get', kind, 'routed', '-n', ns])).code !== 0 ? true : undefined,
      );
    }
  }, 300_000);

  it('holds a gatewayAPI canary and reports it while the Gateway does not accept the route', async () => {
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      rollout(
        'unrouted',
        {
          model: { version: '2', uri: 'https://models.example/v2.onnx' },
          steps: [{ weight: 10, pauseSeconds: 3600 }],
        },
        { traffic: { router: 'gatewayAPI', gatewayRef: { name: 'inference' } } },
      ),
    );
    await reportRoute('unrouted', false);
    const held = await eventually('unrouted Stalled=RouteNotAccepted', async () => {
      const md = await mdep('unrouted');
      return cond(md, 'Stalled')?.reason === 'RouteNotAccepted' ? md : undefined;
    });
    expect(cond(held, 'Ready')?.status).toBe('False');
    expect(cond(held, 'Stalled')?.message).toContain('no listener of inference allows this route');
    expect(held.status?.canary?.phase).toBe('Verifying');
    await reportRoute('unrouted', true);
    await history('unrouted', (md) => md.status?.canary?.phase === 'Progressing', 60_000);
  }, 120_000);

  it('aborts on a spec edit and does not restart until the canary changes', async () => {
    await kOk(
      ['apply', '-n', ns, '-f', '-'],
      rollout('halted', {
        model: { version: '2', uri: 'https://models.example/v2.onnx' },
        steps: [{ weight: 50, pauseSeconds: 3600 }],
      }),
    );
    await history('halted', (md) => md.status?.canary?.phase === 'Progressing', 60_000);
    await kOk([
      'patch',
      'mdep',
      'halted',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"canary":{"abort":true}}}',
    ]);
    const { last } = await history(
      'halted',
      (md) => md.status?.canary?.phase === 'Aborted',
      60_000,
    );
    expect(last.status?.canary?.message).toMatch(/^AbortedByUser/);
    // Clearing the switch alone does not resend traffic to the same candidate.
    await kOk([
      'patch',
      'mdep',
      'halted',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"canary":{"abort":false}}}',
    ]);
    await new Promise((r) => setTimeout(r, 3000));
    const still = await mdep('halted');
    expect(still.status?.canary?.phase).toBe('Aborted');
    expect(still.status?.canary?.weight).toBe(0);
    // A new candidate starts a new rollout.
    await kOk([
      'patch',
      'mdep',
      'halted',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"canary":{"model":{"version":"4"}}}}',
    ]);
    await history('halted', (md) => md.status?.canary?.phase === 'Progressing', 60_000);
  }, 300_000);
});
