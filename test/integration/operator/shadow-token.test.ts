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
 * The shadow token against a real control plane: a JWT-only ModelDeployment with a shadow
 * gets a <name>-shadow-token Secret (owned, random, made once), mounted into the stable and
 * shadow pods with SHADOW_TOKEN_FILE pointing at it; a later reconcile never rewrites it.
 */

interface Deployment {
  spec: {
    template: {
      spec: {
        volumes?: { name: string; secret?: { secretName: string } }[];
        containers: { env?: { name: string; value?: string }[] }[];
      };
    };
  };
}
interface Secret {
  metadata: { resourceVersion: string; ownerReferences?: { kind: string; uid: string }[] };
  data?: Record<string, string>;
}

const NAME = 'guarded';

function manifest(percent: number): string {
  return JSON.stringify({
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name: NAME },
    spec: {
      model: { version: '1', uri: 'https://models.example/v1.onnx' },
      auth: { jwt: { issuer: 'https://issuer.example', keysSecretRef: { name: 'jwt-keys' } } },
      shadow: { model: { version: '2', uri: 'https://models.example/v2.onnx' }, percent },
    },
  });
}

const envOf = (dep: Deployment): Record<string, string | undefined> =>
  Object.fromEntries(
    (dep.spec.template.spec.containers[0]?.env ?? []).map((v) => [v.name, v.value]),
  );
const tokenVolume = (dep: Deployment): string | undefined =>
  dep.spec.template.spec.volumes?.find((v) => v.name === 'shadow-token')?.secret?.secretName;

describe('the shadow token', () => {
  let ns = '';
  let op: OperatorProcess;

  beforeAll(async () => {
    ns = await createNamespace('shadow-token');
    await kOk([
      'create',
      'secret',
      'generic',
      'jwt-keys',
      '-n',
      ns,
      '--from-literal=jwks.json={"keys":[]}',
    ]);
    op = await startOperatorFor(ns, { RESYNC_SECONDS: '10' });
  });

  afterAll(async () => {
    const code = await op?.stop();
    await k(['delete', 'namespace', ns, '--wait=false']);
    expect(code).toBe(0);
  });

  const get = <T>(kind: string, name: string): Promise<T> => getJson<T>([kind, name, '-n', ns]);

  it('is made once for a JWT-only shadow and mounted into the stable and shadow pods', async () => {
    await kOk(['apply', '--server-side', '-n', ns, '-f', '-'], manifest(20));
    const secret = await eventually('the shadow token Secret', async () => {
      const s = await get<Secret>('secret', `${NAME}-shadow-token`).catch(() => undefined);
      return s?.data?.['token'] !== undefined ? s : undefined;
    });
    const token = Buffer.from(secret.data?.['token'] ?? '', 'base64').toString('utf8');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const md = await get<{ metadata: { uid: string } }>('modeldeployment', NAME);
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ModelDeployment', uid: md.metadata.uid }),
    ]);

    const stable = await eventually('the stable Deployment', () =>
      get<Deployment>('deployment', NAME),
    );
    const shadow = await eventually('the shadow Deployment', () =>
      get<Deployment>('deployment', `${NAME}-shadow`),
    );
    for (const dep of [stable, shadow]) {
      expect(tokenVolume(dep)).toBe(`${NAME}-shadow-token`);
      expect(envOf(dep).SHADOW_TOKEN_FILE).toBe('/etc/modeldeploy/shadow-token/token');
    }

    // A change that rolls the pods keeps the token: running pods and new ones agree.
    await kOk(['apply', '--server-side', '-n', ns, '-f', '-'], manifest(40));
    await eventually('the stable pods at the new percent', async () =>
      envOf(await get<Deployment>('deployment', NAME)).SHADOW_PERCENT === '40' ? true : undefined,
    );
    const after = await get<Secret>('secret', `${NAME}-shadow-token`);
    expect(after.metadata.resourceVersion).toBe(secret.metadata.resourceVersion);
  });
});
