import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SHADOW_MARKER_HEADER,
  SHADOW_TOKEN_HEADER,
} from '../../runtime/src/shadow/mirror-request.js';
import {
  goldenFor,
  metricValue,
  MODELS,
  startRuntime,
  waitUntil,
  type TestRuntime,
} from './helpers.js';

/**
 * A deployment that authenticates with JWT only has no credential of its own the stable
 * pods could give their copies (they never forward the user's token). The operator gives
 * stable and shadow pods one shadow token (SHADOW_TOKEN_FILE): the stable pods send it with
 * each copy, and the shadow accepts a request carrying the copy marker only with that
 * token. Neither the marker alone nor the token alone gets past authentication, and the
 * stable track never accepts the token.
 */

const ROW = goldenFor(MODELS.tiny)[0]!.inputs[0]!.data.slice(0, 64) as number[];
const BODY = JSON.stringify({ inputs: { input: [ROW] } });
const TOKEN = 'c2hhZG93LXRva2VuLWZvci10aGUtdGVzdA';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

let signer: CryptoKey;
let jwtEnv: Record<string, string>;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'md-shadow-auth-'));
  const pair = await generateKeyPair('ES256', { extractable: true });
  signer = pair.privateKey;
  writeFileSync(join(dir, 'key.pem'), await exportSPKI(pair.publicKey));
  writeFileSync(join(dir, 'shadow-token'), `${TOKEN}\n`);
  jwtEnv = {
    JWT_PUBLIC_KEY_FILE: join(dir, 'key.pem'),
    JWT_ALGORITHMS: 'ES256',
    SHADOW_TOKEN_FILE: join(dir, 'shadow-token'),
  };
});

function userToken(): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('client-1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(signer);
}

async function runtime(env: Record<string, string>): Promise<TestRuntime> {
  const rt = await startRuntime(
    MODELS.tiny,
    { MODEL_NAME: 'mlp-tiny', ...jwtEnv, ...env },
    {
      listen: true,
    },
  );
  cleanup.push(() => rt.close());
  return rt;
}

async function predict(rt: TestRuntime, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${rt.url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('mirroring into a JWT-only shadow', () => {
  it('the shadow accepts the copies, which carry the shadow token and not the user token', async () => {
    const shadow = await runtime({ MODEL_TRACK: 'shadow' });
    const stable = await runtime({
      SHADOW_TARGET_URL: shadow.url,
      SHADOW_PERCENT: '100',
      SHADOW_TIMEOUT_MS: '30000',
    });
    const token = await userToken();
    for (let i = 0; i < 3; i++) {
      expect(await predict(stable, { authorization: `Bearer ${token}` })).toBe(200);
    }
    const text = async (): Promise<string> => stable.server.metrics.registry.metrics();
    await waitUntil(
      async () => (metricValue(await text(), 'modeldeploy_shadow_compared_total') ?? 0) === 3,
    );
    const metrics = await text();
    expect(metricValue(metrics, 'modeldeploy_shadow_disagreed_total', { reason: 'error' })).toBe(0);
    expect(metricValue(metrics, 'modeldeploy_shadow_disagreed_total', { reason: 'value' })).toBe(0);
  });

  it('the marker alone, the token alone, or a wrong token do not pass; the stable track never takes the token', async () => {
    const shadow = await runtime({ MODEL_TRACK: 'shadow' });
    const stable = await runtime({});
    expect(await predict(shadow, { [SHADOW_MARKER_HEADER]: '1' })).toBe(401);
    expect(await predict(shadow, { [SHADOW_TOKEN_HEADER]: TOKEN })).toBe(401);
    expect(
      await predict(shadow, { [SHADOW_MARKER_HEADER]: '1', [SHADOW_TOKEN_HEADER]: `${TOKEN}x` }),
    ).toBe(401);
    expect(
      await predict(shadow, { [SHADOW_MARKER_HEADER]: '1', [SHADOW_TOKEN_HEADER]: TOKEN }),
    ).toBe(200);
    expect(
      await predict(stable, { [SHADOW_MARKER_HEADER]: '1', [SHADOW_TOKEN_HEADER]: TOKEN }),
    ).toBe(401);
  });
});
