import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, MODELS, startRuntime, type TestRuntime } from './helpers.js';

const body = { inputs: { input: [Array.from({ length: 64 }, () => 0.25)] } };
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'modeldeploy';
/** JWT_AUDIENCE lists two; a token for either is accepted (the operator joins spec.auth.jwt.audiences). */
const OTHER_AUDIENCE = 'modeldeploy-batch';

interface TokenOptions {
  alg?: string;
  kid?: string;
  issuer?: string;
  audience?: string;
  scope?: string;
  /** null: no exp claim at all. */
  expiresIn?: string | number | null;
}

function sign(key: CryptoKey | Uint8Array, o: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT(o.scope === undefined ? {} : { scope: o.scope })
    .setProtectedHeader({ alg: o.alg ?? 'RS256', ...(o.kid !== undefined ? { kid: o.kid } : {}) })
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setSubject('client-1')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 120);
  if (o.expiresIn !== null) jwt.setExpirationTime(o.expiresIn ?? '5m');
  return jwt.sign(key);
}

describe('API keys and JWT from a JWKS file', () => {
  let rt: TestRuntime;
  let rsa: CryptoKey;
  let otherRsa: CryptoKey;
  let ec: CryptoKey;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-auth-'));
    const pair = await generateKeyPair('RS256', { extractable: true });
    rsa = pair.privateKey;
    otherRsa = (await generateKeyPair('RS256')).privateKey;
    ec = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    writeFileSync(join(dir, 'keys.txt'), 'file-key-1\n');
    rt = await startRuntime(MODELS.tiny, {
      MODEL_NAME: 'mlp-tiny',
      API_KEYS: 'env-key-1,env-key-2',
      API_KEYS_FILE: join(dir, 'keys.txt'),
      JWT_JWKS_FILE: join(dir, 'jwks.json'),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: `${AUDIENCE},${OTHER_AUDIENCE}`,
      JWT_REQUIRED_SCOPE: 'predict',
      AUTH_PROTECT_METRICS: 'true',
    });
  });
  afterAll(() => rt.close());

  const predict = (headers: Record<string, string>) =>
    call(rt.server, 'POST', '/predict', body, headers);

  it('401 with WWW-Authenticate when credentials are missing', async () => {
    const res = await predict({});
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="modeldeploy"');
    expect(res.body.error).toMatch(/missing credentials/);
    expect(res.headers['x-model-name']).toBe('mlp-tiny');
    expect((await predict({ authorization: 'Basic dXNlcjpwdw==' })).status).toBe(401);
  });

  it('accepts configured API keys in x-api-key or as a bearer token, from env and file', async () => {
    expect((await predict({ 'x-api-key': 'env-key-1' })).status).toBe(200);
    expect((await predict({ 'x-api-key': 'file-key-1' })).status).toBe(200);
    expect((await predict({ authorization: 'Bearer env-key-2' })).status).toBe(200);
    const wrong = await predict({ 'x-api-key': 'env-key-3' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('unauthorized: invalid API key');
  });

  it('accepts a valid JWT with the required scope', async () => {
    const token = await sign(rsa, { kid: 'k1', scope: 'read predict' });
    expect((await predict({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('accepts a JWT for any of the configured audiences', async () => {
    const token = await sign(rsa, { kid: 'k1', scope: 'predict', audience: OTHER_AUDIENCE });
    expect((await predict({ authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('403 for a valid JWT without the required scope', async () => {
    const res = await predict({
      authorization: `Bearer ${await sign(rsa, { kid: 'k1', scope: 'read' })}`,
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatch(/lacks the required scope 'predict'/);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
  });

  it.each([
    ['expired', { expiresIn: Math.floor(Date.now() / 1000) - 60 }, /token expired/],
    [
      'without exp (a token that never expires)',
      { expiresIn: null },
      /token has no 'exp' claim \(it would never expire\); issue tokens with an expiry, or set JWT_REQUIRE_EXP=false/,
    ],
    ['wrong issuer', { issuer: 'https://evil.test' }, /claim 'iss'/],
    ['wrong audience', { audience: 'someone-else' }, /claim 'aud'/],
    ['signed by another key', { useOtherKey: true }, /signature is invalid/],
    [
      'a disallowed algorithm (HS256)',
      { alg: 'HS256' },
      /algorithm not allowed \(JWT_ALGORITHMS=RS256,ES256\)/,
    ],
  ] as const)('401 for a token %s', async (_what, options, message) => {
    const o = options as TokenOptions & { useOtherKey?: boolean };
    const key =
      o.alg === 'HS256' ? new TextEncoder().encode('x'.repeat(32)) : o.useOtherKey ? otherRsa : rsa;
    const token = await sign(key, { kid: 'k1', scope: 'predict', ...o });
    const res = await predict({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(message);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('401 for an ES256 token whose key is not in the JWKS, and for garbage', async () => {
    const res = await predict({
      authorization: `Bearer ${await sign(ec, { alg: 'ES256', scope: 'predict' })}`,
    });
    expect(res.status).toBe(401);
    expect((await predict({ authorization: 'Bearer not.a.jwt' })).status).toBe(401);
  });

  it('keeps health open by default and protects metadata and (here) metrics', async () => {
    expect((await call(rt.server, 'GET', '/health')).status).toBe(200);
    expect((await call(rt.server, 'GET', '/ready')).status).toBe(200);
    expect((await call(rt.server, 'GET', '/v2/health/ready')).status).toBe(200);
    expect((await call(rt.server, 'GET', '/v2/models/mlp-tiny')).status).toBe(401);
    expect((await call(rt.server, 'GET', '/metrics')).status).toBe(401);
    expect(
      (await call(rt.server, 'GET', '/metrics', undefined, { 'x-api-key': 'env-key-1' })).status,
    ).toBe(200);
  });
});

describe('JWT from a PEM key, health protected', () => {
  let rt: TestRuntime;
  let ec: CryptoKey;
  let rsa: CryptoKey;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-auth-pem-'));
    const pair = await generateKeyPair('ES256', { extractable: true });
    ec = pair.privateKey;
    rsa = (await generateKeyPair('RS256')).privateKey;
    writeFileSync(join(dir, 'key.pem'), await exportSPKI(pair.publicKey));
    rt = await startRuntime(MODELS.tiny, {
      JWT_PUBLIC_KEY_FILE: join(dir, 'key.pem'),
      JWT_ALGORITHMS: 'ES256',
      AUTH_PROTECT_HEALTH: 'true',
    });
  });
  afterAll(() => rt.close());

  it('accepts ES256, refuses RS256 as a wrong algorithm, protects health', async () => {
    const good = await sign(ec, { alg: 'ES256' });
    expect(
      (await call(rt.server, 'POST', '/predict', body, { authorization: `Bearer ${good}` })).status,
    ).toBe(200);
    const wrongAlg = await call(rt.server, 'POST', '/predict', body, {
      authorization: `Bearer ${await sign(rsa, { alg: 'RS256' })}`,
    });
    expect(wrongAlg.status).toBe(401);
    expect(wrongAlg.body.error).toMatch(/algorithm not allowed \(JWT_ALGORITHMS=ES256\)/);
    expect((await call(rt.server, 'GET', '/health')).status).toBe(401);
    expect(
      (await call(rt.server, 'GET', '/ready', undefined, { authorization: `Bearer ${good}` }))
        .status,
    ).toBe(200);
  });
});

describe('rate limiting', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.tiny, { RATE_LIMIT_RPS: '1', RATE_LIMIT_BURST: '3' });
  });
  afterAll(() => rt.close());

  it('answers 429 with Retry-After past the burst, on inference routes only', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await call(rt.server, 'POST', '/predict', body);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited!.body.error).toMatch(/rate limit exceeded: 1 requests\/s, burst 3/);
    expect((await call(rt.server, 'GET', '/health')).status).toBe(200);
    expect((await call(rt.server, 'GET', '/metrics')).status).toBe(200);
  });
});

describe('JWT_REQUIRE_EXP=false', () => {
  it('accepts a token without exp when told to, and still refuses an expired one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-auth-'));
    const pair = await generateKeyPair('RS256', { extractable: true });
    writeFileSync(join(dir, 'key.pem'), await exportSPKI(pair.publicKey));
    const rt = await startRuntime(MODELS.tiny, {
      JWT_PUBLIC_KEY_FILE: join(dir, 'key.pem'),
      JWT_REQUIRE_EXP: 'false',
    });
    try {
      const predict = async (token: string): Promise<number> =>
        (await call(rt.server, 'POST', '/predict', body, { authorization: `Bearer ${token}` }))
          .status;
      expect(await predict(await sign(pair.privateKey, { expiresIn: null }))).toBe(200);
      const expired = await sign(pair.privateKey, {
        expiresIn: Math.floor(Date.now() / 1000) - 60,
      });
      expect(await predict(expired)).toBe(401);
    } finally {
      await rt.close();
    }
  });
});
