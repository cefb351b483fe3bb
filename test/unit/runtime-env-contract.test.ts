/**
 * The environment contract between the operator and the runtime, checked from both ends:
 * what operator/src/resources/runtime-env.ts writes for a ModelDeployment that sets every
 * field must parse with the runtime's own schema, and each value must land in the runtime
 * setting it stands for. See docs/runtime.md, "Configuration".
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseModelDeployment,
  type ModelDeployment,
} from '../../operator/src/api/model-deployment.js';
import { authSpec, goldenRequest } from '../../operator/src/api/model-deployment-spec.js';
import {
  API_KEYS_DIR,
  JWT_KEYS_DIR,
  MODEL_CACHE_DIR,
  PVC_MOUNT_ROOT,
  SHADOW_TOKEN_DIR,
  RUNTIME_GRPC_PORT,
  RUNTIME_PORT,
  SHUTDOWN_DELAY_MS,
  SHUTDOWN_MARGIN_MS,
  TERMINATION_GRACE_SECONDS,
} from '../../operator/src/resources/runtime-contract.js';
import { runtimeEnv, type RuntimeEnvOptions } from '../../operator/src/resources/runtime-env.js';
import { SHADOW_TOKEN_KEY } from '../../operator/src/shadow/shadow-token.js';
import { parseConfig, type RuntimeConfig } from '../../runtime/src/config/index.js';

const STABLE_SHA = 'a'.repeat(64);
const CANARY_SHA = 'b'.repeat(64);
const SHADOW_SHA = 'c'.repeat(64);

/** What a case changes in the fixture: the JWT algorithms and the stable golden requests. */
interface Variation {
  readonly algorithms?: readonly string[];
  readonly goldenRequests?: readonly unknown[];
  readonly requireExpiry?: boolean;
}

function fullModelDeployment(variation: Variation = {}): ModelDeployment {
  const result = parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 4 },
    spec: {
      model: {
        name: 'fraud-scorer',
        version: 'v1.2',
        uri: 'https://models.example/scorer-v1.onnx',
        sha256: STABLE_SHA,
      },
      runtime: { threads: { intraOp: 3, interOp: 2 } },
      batching: { enabled: true, maxBatchSize: 16, maxDelayMs: 7, maxQueue: 900 },
      auth: {
        apiKeySecretRef: { name: 'keys', key: 'api-keys' },
        jwt: {
          issuer: 'https://issuer.example',
          audiences: ['scoring', 'scoring-batch'],
          algorithms: variation.algorithms ?? ['ES384', 'EdDSA'],
          keysSecretRef: { name: 'jwks', key: 'jwks.json' },
          ...(variation.requireExpiry !== undefined && { requireExpiry: variation.requireExpiry }),
        },
        protectMetrics: true,
      },
      rateLimit: { requestsPerSecond: 120, burst: 40 },
      requestLimits: { maxBodyBytes: 2_000_000, maxRows: 300, maxElements: 9_000 },
      goldenRequests: variation.goldenRequests ?? [golden('stable-check', 0.5)],
      canary: {
        model: { version: 'v2', uri: 'pvc://models/scorer/v2.onnx', sha256: CANARY_SHA },
        steps: [{ weight: 20, pauseSeconds: 30 }],
        goldenRequests: [golden('canary-check', 0.25)],
      },
      shadow: {
        model: { version: 'v3', uri: 'https://models.example/scorer-v3.onnx', sha256: SHADOW_SHA },
        percent: 30,
        tolerance: 0.002,
      },
    },
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

function golden(name: string, tolerance: number): Record<string, unknown> {
  return {
    name,
    inputs: [{ name: 'features', data: [1, 2, 3] }],
    outputs: [{ name: 'score', data: [0.5] }],
    tolerance,
  };
}

/**
 * The environment as the kubelet would give it to the runtime. API_KEYS_FILE names the
 * mounted Secret, which the runtime reads while parsing: after checking the mount path,
 * the test points it at a file with keys of its own.
 */
function podEnvironment(md: ModelDeployment, opts: RuntimeEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of runtimeEnv(md, opts)) {
    if (v.value === undefined) throw new Error(`${v.name} has no literal value`);
    env[v.name] = v.value;
  }
  expect(env['API_KEYS_FILE']).toBe(`${API_KEYS_DIR}/api-keys`);
  const dir = mkdtempSync(join(tmpdir(), 'md-contract-'));
  const keys = join(dir, 'api-keys');
  writeFileSync(keys, 'key-one\nkey-two\n');
  if (env['SHADOW_TOKEN_FILE'] === undefined) return { ...env, API_KEYS_FILE: keys };
  // The shadow token Secret the operator mounts (stable and shadow pods only).
  expect(opts.track).not.toBe('canary');
  expect(env['SHADOW_TOKEN_FILE']).toBe(`${SHADOW_TOKEN_DIR}/${SHADOW_TOKEN_KEY}`);
  const token = join(dir, 'shadow-token');
  writeFileSync(token, `${SHADOW_TOKEN}\n`);
  return { ...env, API_KEYS_FILE: keys, SHADOW_TOKEN_FILE: token };
}

const SHADOW_TOKEN = 'the-shadow-token-of-this-test';

function parsedFor(track: 'stable' | 'canary'): RuntimeConfig {
  const md = fullModelDeployment();
  const canary = md.spec.canary;
  if (canary === undefined) throw new Error('the fixture has a canary');
  const opts: RuntimeEnvOptions =
    track === 'stable'
      ? { track, model: md.spec.model, goldenRequests: md.spec.goldenRequests ?? [] }
      : { track, model: canary.model, goldenRequests: canary.goldenRequests ?? [] };
  return parseConfig(podEnvironment(md, opts));
}

describe('the environment the operator writes, read by the runtime', () => {
  it('carries the stable model, its checks and the serving settings', () => {
    const c = parsedFor('stable');
    expect(c.model).toMatchObject({
      uri: 'https://models.example/scorer-v1.onnx',
      name: 'fraud-scorer',
      version: 'v1.2',
      sha256: STABLE_SHA,
      track: 'stable',
      cacheDir: MODEL_CACHE_DIR,
    });
    expect(c.server.port).toBe(RUNTIME_PORT);
    expect(c.server.grpcPort).toBe(RUNTIME_GRPC_PORT);
    expect(c.server.shutdownGraceMs).toBe(TERMINATION_GRACE_SECONDS * 1000 - SHUTDOWN_MARGIN_MS);
    expect(c.server.shutdownDelayMs).toBe(SHUTDOWN_DELAY_MS);
    expect(c.batching).toMatchObject({ maxSize: 16, maxDelayMs: 7, maxQueue: 900 });
    expect(c.session).toMatchObject({ intraOpThreads: 3, interOpThreads: 2 });
    expect(c.rateLimit).toEqual({ requestsPerSecond: 120, burst: 40 });
    expect(c.server).toMatchObject({
      bodyLimitBytes: 2_000_000,
      requestMaxRows: 300,
      requestMaxElements: 9_000,
    });
    expect(c.goldenRequests).toEqual([
      {
        name: 'stable-check',
        inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }],
        outputs: [{ name: 'score', data: [0.5] }],
        tolerance: 0.5,
      },
    ]);
  });

  it('carries API keys and every JWT setting, with all accepted audiences', () => {
    const { auth } = parsedFor('stable');
    expect(auth.apiKeys).toEqual(['key-one', 'key-two']);
    expect(auth.protectMetrics).toBe(true);
    expect(auth.protectHealth).toBe(false);
    expect(auth.jwt).toEqual({
      issuer: 'https://issuer.example',
      audience: ['scoring', 'scoring-batch'],
      algorithms: ['ES384', 'EdDSA'],
      jwksFile: `${JWT_KEYS_DIR}/jwks.json`,
      publicKeyFile: undefined,
      requiredScope: undefined,
      requireExpiry: true,
    });
  });

  it('lets spec.auth.jwt.requireExpiry=false admit tokens without exp', () => {
    const md = fullModelDeployment({ requireExpiry: false });
    const opts: RuntimeEnvOptions = { track: 'stable', model: md.spec.model, goldenRequests: [] };
    expect(parseConfig(podEnvironment(md, opts)).auth.jwt?.requireExpiry).toBe(false);
  });

  it('carries the canary model from a PVC with its own golden requests', () => {
    const c = parsedFor('canary');
    expect(c.model).toMatchObject({
      uri: 'pvc://models/scorer/v2.onnx',
      name: 'fraud-scorer',
      version: 'v2',
      sha256: CANARY_SHA,
      track: 'canary',
      pvcMountRoot: PVC_MOUNT_ROOT,
    });
    expect(c.goldenRequests.map((g) => [g.name, g.tolerance])).toEqual([['canary-check', 0.25]]);
  });

  it('points stable pods at the shadow Service with its percent and tolerance', () => {
    expect(parsedFor('stable').shadow).toEqual({
      targetUrl: `http://scorer-shadow.ml.svc:80`,
      percent: 30,
      tolerance: 0.002,
      maxInflight: 64,
      timeoutMs: 1000,
      token: SHADOW_TOKEN,
    });
    expect(parsedFor('stable').auth.shadowToken).toBeUndefined();
    expect(parsedFor('canary').shadow).toBeUndefined();
    expect(parsedFor('canary').auth.shadowToken).toBeUndefined();
  });

  it('runs the shadow model as track shadow, mirroring nowhere', () => {
    const md = fullModelDeployment();
    const shadow = md.spec.shadow;
    if (shadow === undefined) throw new Error('the fixture has a shadow');
    const c = parseConfig(podEnvironment(md, { track: 'shadow', model: shadow.model }));
    expect(c.model).toMatchObject({
      uri: 'https://models.example/scorer-v3.onnx',
      name: 'fraud-scorer',
      version: 'v3',
      sha256: SHADOW_SHA,
      track: 'shadow',
    });
    expect(c.shadow).toBeUndefined();
    // With auth on, it takes copies that carry the shadow token.
    expect(c.auth.shadowToken).toBe(SHADOW_TOKEN);
  });

  it('turns batching off with a batch of one', () => {
    const md = fullModelDeployment();
    const off: ModelDeployment = {
      ...md,
      spec: {
        ...md.spec,
        batching: { enabled: false, maxBatchSize: 16, maxDelayMs: 7, maxQueue: 900 },
      },
    };
    const c = parseConfig(podEnvironment(off, { track: 'stable', model: md.spec.model }));
    expect(c.batching.maxSize).toBe(1);
  });

  it('accepts every JWT algorithm and golden tensor datatype the API admits', () => {
    const algorithms = authSpec.shape.jwt.unwrap().shape.algorithms.unwrap().element.options;
    const datatypes = goldenRequest.shape.inputs.element.shape.datatype.unwrap().options;
    const md = fullModelDeployment({
      algorithms,
      goldenRequests: datatypes.map((datatype) => ({
        name: datatype,
        inputs: [{ name: 'x', datatype, data: [1] }],
        outputs: [{ name: 'y', data: [1] }],
      })),
    });
    const c = parseConfig(
      podEnvironment(md, {
        track: 'stable',
        model: md.spec.model,
        goldenRequests: md.spec.goldenRequests ?? [],
      }),
    );
    expect(c.auth.jwt?.algorithms).toEqual(algorithms);
    expect(c.goldenRequests.map((g) => g.inputs[0]?.datatype)).toEqual(datatypes);
  });
});

// --- spec.observability (issue 20): tracing and payload logging variables.
describe('spec.observability, written by the operator and read by the runtime', () => {
  it('gives the runtime its tracing (headers from the Secret) and payload-logging settings', () => {
    const result = parseModelDeployment({
      metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 4 },
      spec: {
        model: { name: 'fraud-scorer', version: 'v1.2', uri: 'https://models.example/s.onnx' },
        observability: {
          tracing: {
            endpoint: 'http://otel-collector.obs:4318',
            samplingRatio: 0.25,
            headersSecretRef: { name: 'otlp', key: 'headers' },
          },
          payloadLogging: {
            sampleRatio: 0.1,
            redact: [{ input: 'ssn', mode: 'hash' }, { input: 'name' }],
            maxRecordBytes: 4096,
          },
        },
      },
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const md = result.value;
    const env: Record<string, string> = {};
    for (const v of runtimeEnv(md, { track: 'stable', model: md.spec.model })) {
      const ref = v.valueFrom?.secretKeyRef;
      // What the kubelet would read from Secret otlp, key headers.
      if (ref !== undefined) {
        expect(ref).toEqual({ name: 'otlp', key: 'headers' });
        env[v.name] = 'authorization=Bearer%20t0ken';
      } else if (v.value !== undefined) env[v.name] = v.value;
    }
    const c = parseConfig(env);
    expect(c.tracing).toEqual({
      url: 'http://otel-collector.obs:4318/v1/traces',
      headers: { authorization: 'Bearer t0ken' },
      protocol: 'http/protobuf',
      sampler: 'parentbased_traceidratio',
      ratio: 0.25,
      serviceName: 'scorer',
      resourceAttributes: {},
    });
    expect(c.payloadLog).toEqual({
      sampleRatio: 0.1,
      logFailures: true,
      redact: new Map([
        ['ssn', 'hash'],
        ['name', 'drop'],
      ]),
      maxRecordBytes: 4096,
    });
  });
});
