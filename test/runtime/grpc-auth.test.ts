import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fp32Bytes, startGrpcRuntime, type GrpcTestRuntime } from './grpc-client.js';
import { call, MODELS } from './helpers.js';

const infer = {
  model_name: 'mlp-tiny',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64] }],
  raw_input_contents: [fp32Bytes(Array.from({ length: 64 }, () => 0.25))],
};
const ISSUER = 'https://issuer.test';

function token(key: CryptoKey, scope: string): Promise<string> {
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(ISSUER)
    .setAudience('modeldeploy')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

describe('gRPC credentials from metadata: API keys and JWT', () => {
  let rt: GrpcTestRuntime;
  let key: CryptoKey;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-grpc-auth-'));
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = pair.privateKey;
    writeFileSync(join(dir, 'key.pem'), await exportSPKI(pair.publicKey));
    rt = await startGrpcRuntime(MODELS.tiny, {
      MODEL_NAME: 'mlp-tiny',
      API_KEYS: 'grpc-key-1',
      JWT_PUBLIC_KEY_FILE: join(dir, 'key.pem'),
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'modeldeploy',
      JWT_REQUIRED_SCOPE: 'predict',
    });
  });
  afterAll(() => rt.close());

  it('accepts an API key in x-api-key or as a bearer token, and a JWT with the scope', async () => {
    const credentials: Record<string, string>[] = [
      { 'x-api-key': 'grpc-key-1' },
      { authorization: 'Bearer grpc-key-1' },
      { authorization: `Bearer ${await token(key, 'predict read')}` },
    ];
    for (const metadata of credentials) {
      const answer = await rt.grpc.call('ModelInfer', infer, metadata);
      expect(answer['raw_output_contents'], JSON.stringify(metadata)).toHaveLength(1);
    }
    expect(
      await rt.grpc.call('ModelMetadata', { name: 'mlp-tiny' }, { 'x-api-key': 'grpc-key-1' }),
    ).toHaveProperty('name', 'mlp-tiny');
  });

  it('refuses missing or wrong credentials with UNAUTHENTICATED and the HTTP message', async () => {
    const missing = await rt.grpc.fail('ModelInfer', infer);
    expect(missing.code).toBe(status.UNAUTHENTICATED);
    const rest = await call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) }],
    });
    expect(rest.status).toBe(401);
    expect(missing.details).toBe(rest.body['error']);
    expect(missing.metadata.get('www-authenticate')).toEqual([rest.headers['www-authenticate']]);
    const wrong = await rt.grpc.fail('ModelInfer', infer, { 'x-api-key': 'nope' });
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect(wrong.details).toBe('unauthorized: invalid API key');
    const metadata = await rt.grpc.fail('ModelMetadata', { name: 'mlp-tiny' });
    expect(metadata.code).toBe(status.UNAUTHENTICATED);
  });

  it('refuses a JWT without the required scope with PERMISSION_DENIED (403)', async () => {
    const err = await rt.grpc.fail('ModelInfer', infer, {
      authorization: `Bearer ${await token(key, 'read')}`,
    });
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(err.details).toBe("forbidden: the token lacks the required scope 'predict'");
  });

  it('leaves health open, as on HTTP (AUTH_PROTECT_HEALTH=false)', async () => {
    expect(await rt.grpc.call('ServerReady')).toEqual({ ready: true });
    expect(await rt.grpc.call('ModelReady', { name: 'mlp-tiny' })).toEqual({ ready: true });
  });
});

describe('one rate limit for HTTP and gRPC', () => {
  let rt: GrpcTestRuntime;
  beforeAll(async () => {
    rt = await startGrpcRuntime(MODELS.tiny, {
      MODEL_NAME: 'mlp-tiny',
      RATE_LIMIT_RPS: '1',
      RATE_LIMIT_BURST: '3',
    });
  });
  afterAll(() => rt.close());

  it('counts both protocols in one window and answers RESOURCE_EXHAUSTED with retry-after', async () => {
    const rest = () =>
      call(rt.server, 'POST', '/v2/models/mlp-tiny/infer', {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 64], data: new Array(64).fill(0) }],
      });
    expect((await rest()).status).toBe(200);
    expect((await rest()).status).toBe(200);
    expect(await rt.grpc.call('ModelInfer', infer)).toHaveProperty('model_name', 'mlp-tiny');
    const limited = await rt.grpc.fail('ModelInfer', infer);
    expect(limited.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(limited.details).toMatch(
      /^rate limit exceeded: 1 requests\/s, burst 3 \(RATE_LIMIT_RPS, RATE_LIMIT_BURST\); retry after \d+ seconds?$/,
    );
    expect(Number(limited.metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);
    const restLimited = await rest();
    expect(restLimited.status).toBe(429);
    // Health is not limited on either protocol.
    expect(await rt.grpc.call('ServerLive')).toEqual({ live: true });
  });
});
