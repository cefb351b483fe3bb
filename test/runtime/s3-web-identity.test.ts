/**
 * IRSA for real: the AWS SDK's default chain reads AWS_ROLE_ARN and the projected token of
 * AWS_WEB_IDENTITY_TOKEN_FILE, exchanges them at STS (AssumeRoleWithWebIdentity) for the
 * role's temporary credentials and downloads the s3:// model with them. STS, IAM and S3 are
 * moto in server mode (PyPI), with its IAM enforcement on: a role whose policy allows
 * s3:GetObject reads the model, a role without one is refused, and the refusal names the
 * role. Every endpoint (AWS_ENDPOINT_URL_STS, and AWS_ENDPOINT_URL as a backstop) is
 * moto's loopback address.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { storageReason } from '../../runtime/src/model/storage/storage-errors.js';
import { startMotoServer, type MotoServer } from '../support/moto-server.js';
import { MODELS, testConfig } from './helpers.js';
import { runPythonJson } from './python-venv.js';

const model = readFileSync(MODELS.tiny);
const TINY_SHA = createHash('sha256').update(model).digest('hex');
const BUCKET = 'models';
const KEY = 'iris/v1/mlp-tiny.onnx';
const URI = `s3://${BUCKET}/${KEY}`;

const AWS_VARS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
];
const savedEnv = new Map(AWS_VARS.map((name) => [name, process.env[name]]));

let dir = '';
let moto: MotoServer;
let tokenFile = '';
let roles: { reader: string; stranger: string };

/** A token like the one EKS projects into the pod (moto does not check its signature). */
async function serviceAccountToken(): Promise<string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new SignJWT({ 'kubernetes.io': { namespace: 'ml', serviceaccount: { name: 'reader' } } })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer('https://oidc.eks.us-east-1.amazonaws.com/id/MODELDEPLOYTEST')
    .setSubject('system:serviceaccount:ml:reader')
    .setAudience('sts.amazonaws.com')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'modeldeploy-web-identity-'));
  moto = await startMotoServer();
  const modelFile = join(dir, 'model.onnx');
  writeFileSync(modelFile, model);
  roles = (await runPythonJson('moto_web_identity.py', [
    moto.endpoint,
    BUCKET,
    KEY,
    modelFile,
  ])) as typeof roles;
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, await serviceAccountToken());
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/**
 * What EKS's pod identity webhook injects for a ServiceAccount annotated with the role, and
 * moto's IAM checks on. AWS does not sign AssumeRoleWithWebIdentity (the token is the
 * proof) but moto's enforcement demands a signature on every action, so the exchange, the
 * one action a load makes before its GetObject, is let through unchecked; the GetObject
 * signed with the role's temporary credentials is checked against the role's policies.
 */
async function useWebIdentity(roleArn: string): Promise<void> {
  await moto.enforceIamAfter(1);
  for (const name of AWS_VARS) delete process.env[name];
  Object.assign(process.env, {
    AWS_ROLE_ARN: roleArn,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_STS: moto.endpoint,
    AWS_ENDPOINT_URL: moto.endpoint,
    // No profile of this machine may come first in the chain.
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
  });
}

const s3Env = (): Record<string, string> => ({
  MODEL_CACHE_DIR: mkdtempSync(join(dir, 'cache-')),
  MODEL_S3_ENDPOINT: moto.endpoint,
  MODEL_S3_FORCE_PATH_STYLE: 'true',
  MODEL_DOWNLOAD_RETRIES: '0',
});

describe('an s3:// model with web identity (IRSA)', () => {
  it("downloads with the role's credentials from AssumeRoleWithWebIdentity", async () => {
    await useWebIdentity(roles.reader);
    const loaded = await loadModel(testConfig(URI, { ...s3Env(), MODEL_SHA256: TINY_SHA }));
    expect(loaded.sha256).toBe(TINY_SHA);
    await loaded.release();
  });

  it('answers a role without s3:GetObject as ModelAccessDenied naming the role', async () => {
    await useWebIdentity(roles.stranger);
    const outcome = await loadModel(testConfig(URI, s3Env())).then(
      async (loaded) => loaded.release(),
      (e: unknown) => e,
    );
    if (!(outcome instanceof Error)) throw new Error('expected the role without access to fail');
    expect(storageReason(outcome)).toBe('ModelAccessDenied');
    expect(outcome.message).toContain(`(web identity, role ${roles.stranger})`);
    expect(outcome.message).toMatch(/HTTP 403\): access denied to access key id \w+/);
  });
});
