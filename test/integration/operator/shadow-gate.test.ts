import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNamespace,
  eventually,
  getJson,
  k,
  kOk,
  startOperatorFor,
} from '../cluster/cluster-kit.js';
import type { OperatorProcess } from '../../support/operator-process.js';

/**
 * spec.canary.shadow against a real control plane: the rollout starts Shadowing with the
 * candidate on the shadow track and the stable pods pointed at it, no canary Deployment;
 * the gate's clock starts once the shadow pods are ready; a Prometheus outside the
 * allow-list holds it with Stalled=PrometheusUrlNotAllowed; removing the gate moves on to
 * Verifying, which replaces the shadow track with the canary Deployment.
 */

interface Deployment {
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { env?: { name: string; value?: string }[] }[] };
    };
  };
}
interface Condition {
  type: string;
  status: string;
  reason: string;
}
interface MDep {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    canary?: { phase?: string; shadowGate?: { startedAt?: string } };
    shadow?: { version?: string };
  };
}

const NAME = 'ranker';
const NOT_ALLOWED = 'http://prometheus.monitoring:9090';

function manifest(gate: boolean): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name: NAME },
    spec: {
      model: { version: '1', uri: 'https://models.example/v1.onnx' },
      replicas: 2,
      canary: {
        model: { version: '2', uri: 'https://models.example/v2.onnx' },
        steps: [{ weight: 50, pauseSeconds: 600 }],
        analysis: { prometheusUrl: NOT_ALLOWED },
        ...(gate ? { shadow: { percent: 30, durationSeconds: 60 } } : {}),
      },
    },
  });
}

function envOf(dep: Deployment): Record<string, string | undefined> {
  const vars = dep.spec.template.spec.containers[0]?.env ?? [];
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

describe('spec.canary.shadow', () => {
  let ns = '';
  let op: OperatorProcess;

  beforeAll(async () => {
    ns = await createNamespace('shadow-gate');
    op = await startOperatorFor(ns, { RESYNC_SECONDS: '10' });
  });

  afterAll(async () => {
    const code = await op?.stop();
    await k(['delete', 'namespace', ns, '--wait=false']);
    expect(code).toBe(0);
  });

  const get = <T>(kind: string, name: string): Promise<T> => getJson<T>([kind, name, '-n', ns]);
  const absent = async (kind: string, name: string): Promise<boolean> =>
    (await k(['get', kind, name, '-n', ns])).code !== 0;

  it('runs the candidate as a shadow before any canary pod, then hands over to Verifying', async () => {
    await kOk(['apply', '--server-side', '-n', ns, '-f', '-'], manifest(true));
    const md = await eventually('the gate started with the shadow pods ready', async () => {
      const m = await get<MDep>('modeldeployment', NAME);
      return m.status?.canary?.shadowGate?.startedAt !== undefined ? m : undefined;
    });
    expect(md.status?.canary?.phase).toBe('Shadowing');
    expect(md.status?.shadow?.version).toBe('2');
    expect(await absent('deployment', `${NAME}-canary`)).toBe(true);
    const shadow = await get<Deployment>('deployment', `${NAME}-shadow`);
    expect(envOf(shadow)).toMatchObject({ MODEL_VERSION: '2', MODEL_TRACK: 'shadow' });
    expect(shadow.spec.template.metadata.labels['app.kubernetes.io/name']).toBe(
      'modeldeploy-runtime-shadow',
    );
    expect(envOf(await get<Deployment>('deployment', NAME))).toMatchObject({
      SHADOW_TARGET_URL: `http://${NAME}-shadow.${ns}.svc:80`,
      SHADOW_PERCENT: '30',
    });
    // The operator's allow-list is empty here: the started gate holds and says why, and
    // nothing is queried.
    const held = await eventually('Stalled=PrometheusUrlNotAllowed', async () => {
      const m = await get<MDep>('modeldeployment', NAME);
      const stalled = m.status?.conditions?.find((c) => c.type === 'Stalled');
      return stalled?.status === 'True' ? stalled : undefined;
    });
    expect(held.reason).toBe('PrometheusUrlNotAllowed');

    await kOk(['apply', '--server-side', '-n', ns, '-f', '-'], manifest(false));
    await eventually('Verifying with the canary Deployment and no shadow track', async () => {
      const m = await get<MDep>('modeldeployment', NAME);
      const verifying =
        m.status?.observedGeneration === m.metadata.generation &&
        m.status.canary?.phase !== 'Shadowing' &&
        m.status.shadow === undefined;
      return verifying &&
        !(await absent('deployment', `${NAME}-canary`)) &&
        (await absent('deployment', `${NAME}-shadow`))
        ? true
        : undefined;
    });
    expect(envOf(await get<Deployment>('deployment', NAME)).SHADOW_TARGET_URL).toBeUndefined();
  });
});
