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
 * spec.shadow against a real control plane: the operator adds the shadow track (Deployment
 * and Service, owned, selecting only shadow pods) and points the stable pods at it, reports
 * it in status.shadow, and removes all of it when spec.shadow goes.
 */

interface Owned {
  metadata: { name: string; ownerReferences?: { kind: string; uid: string }[] };
}
interface Deployment extends Owned {
  spec: {
    replicas?: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: { env?: { name: string; value?: string }[] }[] };
    };
  };
}
interface Service extends Owned {
  spec: { selector: Record<string, string> };
}
interface MDep {
  metadata: { uid: string; generation: number };
  status?: {
    observedGeneration?: number;
    shadow?: { version?: string; replicas?: number; readyReplicas?: number };
  };
}

const NAME = 'scorer';

function manifest(shadow: boolean): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name: NAME },
    spec: {
      model: { version: '1', uri: 'https://models.example/v1.onnx' },
      ...(shadow
        ? {
            shadow: {
              model: { version: '2', uri: 'https://models.example/v2.onnx' },
              percent: 20,
              replicas: 2,
            },
          }
        : {}),
    },
  });
}

function envOf(dep: Deployment): Record<string, string | undefined> {
  const vars = dep.spec.template.spec.containers[0]?.env ?? [];
  return Object.fromEntries(vars.map((v) => [v.name, v.value]));
}

describe('spec.shadow', () => {
  let ns = '';
  let op: OperatorProcess;

  beforeAll(async () => {
    ns = await createNamespace('shadow');
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

  it('creates the shadow track, points the stable pods at it, and removes it with the field', async () => {
    await kOk(['apply', '--server-side', '-n', ns, '-f', '-'], manifest(true));
    const md = await eventually('status.shadow with both shadow pods ready', async () => {
      const m = await get<MDep>('modeldeployment', NAME);
      return m.status?.shadow?.readyReplicas === 2 ? m : undefined;
    });
    expect(md.status?.shadow).toEqual({ version: '2', replicas: 2, readyReplicas: 2 });

    const shadowDep = await get<Deployment>('deployment', `${NAME}-shadow`);
    const shadowSvc = await get<Service>('service', `${NAME}-shadow`);
    for (const child of [shadowDep, shadowSvc]) {
      expect(child.metadata.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'ModelDeployment', uid: md.metadata.uid }),
      ]);
    }
    expect(shadowDep.spec.replicas).toBe(2);
    expect(envOf(shadowDep)).toMatchObject({ MODEL_VERSION: '2', MODEL_TRACK: 'shadow' });
    expect(shadowSvc.spec.selector).toMatchObject({ 'modeldeploy.io/track': 'shadow' });
    const stable = await get<Deployment>('deployment', NAME);
    expect(envOf(stable)).toMatchObject({
      SHADOW_TARGET_URL: `http://${NAME}-shadow.${ns}.svc:80`,
      SHADOW_PERCENT: '20',
    });

    // The pods behind the user-facing Service are the stable ones only.
    const main = await get<Service>('service', NAME);
    const selector = Object.entries(main.spec.selector)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const behindMain = await getJson<{ items: { metadata: { labels: Record<string, string> } }[] }>(
      ['pods', '-n', ns, '-l', selector],
    );
    expect(behindMain.items.map((p) => p.metadata.labels['modeldeploy.io/track'])).toEqual([
      'stable',
    ]);

    await kOk(['apply', '--server-side', '-n', ns, '-f', '-'], manifest(false));
    await eventually('the shadow track removed', async () =>
      (await absent('deployment', `${NAME}-shadow`)) && (await absent('service', `${NAME}-shadow`))
        ? true
        : undefined,
    );
    const after = await eventually('status without shadow at the new generation', async () => {
      const m = await get<MDep>('modeldeployment', NAME);
      return m.status?.observedGeneration === m.metadata.generation && !m.status.shadow
        ? m
        : undefined;
    });
    expect(after.status?.shadow).toBeUndefined();
    const stableAfter = await get<Deployment>('deployment', NAME);
    expect(envOf(stableAfter).SHADOW_TARGET_URL).toBeUndefined();
  });
});
