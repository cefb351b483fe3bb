import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './index.js';

describe('parseConfig', () => {
  it('reads MODELDEPLOY_INSTANCE, the ModelDeployment the metrics name; unset or empty by hand', () => {
    const set = parseConfig({ MODEL_URI: 'm.onnx', MODELDEPLOY_INSTANCE: 'prod/scorer' });
    expect(set.model.instance).toBe('prod/scorer');
    expect(parseConfig({ MODEL_URI: 'm.onnx' }).model.instance).toBeUndefined();
    expect(parseConfig({ MODEL_URI: 'm.onnx', MODELDEPLOY_INSTANCE: '' }).model.instance).toBe(
      undefined,
    );
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', MODELDEPLOY_INSTANCE: 'scorer' })).toThrow(
      /MODELDEPLOY_INSTANCE.*expected <namespace>\/<name>/,
    );
  });

  it('applies the documented defaults', () => {
    const c = parseConfig({ MODEL_URI: './models/m.onnx' });
    expect(c.model).toMatchObject({
      name: 'm',
      version: '1',
      track: 'stable',
      cacheDir: '/tmp/modeldeploy-models',
    });
    expect(c.server).toEqual({
      host: '0.0.0.0',
      port: 8080,
      grpcPort: 8081,
      bodyLimitBytes: 8 * 1024 * 1024,
      requestTimeoutMs: 10_000,
      shutdownDelayMs: 5_000,
      shutdownGraceMs: 25_000,
    });
    expect(c.batching).toEqual({ maxSize: 32, maxDelayMs: 2, maxQueue: 256, dispatch: 'eager' });
    expect(c.session.graphOptimization).toBe('all');
    expect(c.session.threadSpinning).toBe(false);
    expect(c.session.thread).toBe('auto');
    expect(c.auth).toMatchObject({
      apiKeys: [],
      jwt: undefined,
      protectHealth: false,
      protectMetrics: false,
    });
    expect(c.rateLimit).toBeUndefined();
    expect(c.terminationMessagePath).toBe('/dev/termination-log');
    expect(c.ortTelemetry).toBe(false);
  });

  it('lets flags override the environment', () => {
    const c = parseConfig({ MODEL_URI: 'a.onnx', PORT: '9000', MODEL_NAME: 'env' }, [
      '--model',
      './b.onnx',
      '--port=8082',
      '--name',
      'x',
      '--version',
      '2',
      '--batch-max-size',
      '1',
      '--auth-protect-health',
    ]);
    expect(c.model.uri).toBe('./b.onnx');
    expect(c.server.port).toBe(8082);
    expect(c.model.name).toBe('x');
    expect(c.model.version).toBe('2');
    expect(c.batching.maxSize).toBe(1);
    expect(c.auth.protectHealth).toBe(true);
  });

  it('runs the session on the main thread when SESSION_THREAD=main, and refuses other values', () => {
    expect(parseConfig({ MODEL_URI: 'm.onnx', SESSION_THREAD: 'main' }).session.thread).toBe(
      'main',
    );
    expect(
      parseConfig({ MODEL_URI: 'm.onnx' }, ['--session-thread', 'worker']).session.thread,
    ).toBe('worker');
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', SESSION_THREAD: 'gpu' })).toThrow(
      /SESSION_THREAD \(--session-thread\):.*got 'gpu'/,
    );
  });

  it('names the variable and flag of a bad value', () => {
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', BATCH_MAX_SIZE: 'lots' })).toThrow(
      /BATCH_MAX_SIZE \(--batch-max-size\): expected a whole number.*got 'lots'/,
    );
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', MODEL_TRACK: 'beta' })).toThrow(/MODEL_TRACK/);
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', MODEL_SHA256: 'abc' })).toThrow(
      /MODEL_SHA256.*64 hex/,
    );
    expect(() => parseConfig({})).toThrow(ConfigError);
    expect(() => parseConfig({})).toThrow(/MODEL_URI/);
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', JWT_ALGORITHMS: 'RS256,none' })).toThrow(
      /JWT_ALGORITHMS/,
    );
    expect(() =>
      parseConfig({ MODEL_URI: 'm.onnx', SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_GRACE_MS: '30000' }),
    ).toThrow(/SHUTDOWN_DELAY_MS \(--shutdown-delay-ms\): 30000 leaves no time to drain/);
    expect(() => parseConfig({ MODEL_URI: 'm.onnx' }, ['--no-such-flag', '1'])).toThrow(
      /unknown flag --no-such-flag/,
    );
  });

  it('normalises the sha256 and reads API keys from env and file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-config-'));
    const file = join(dir, 'keys');
    writeFileSync(file, 'key-one\n# a comment\n\n  key-two  \n');
    const c = parseConfig({
      MODEL_URI: 'm.onnx',
      MODEL_SHA256: `sha256:${'AB'.repeat(32)}`,
      API_KEYS: 'k1, k2',
      API_KEYS_FILE: file,
    });
    expect(c.model.sha256).toBe('ab'.repeat(32));
    expect(c.auth.apiKeys).toEqual(['k1', 'k2', 'key-one', 'key-two']);
  });

  it('parses JWT, rate limit and golden requests', () => {
    const golden = [
      {
        name: 'g',
        inputs: [{ name: 'input', shape: [1, 2], data: [1, 2] }],
        outputs: [{ name: 'o', data: [3] }],
      },
    ];
    const c = parseConfig({
      MODEL_URI: 'm.onnx',
      JWT_JWKS_FILE: '/etc/jwks.json',
      JWT_ISSUER: 'https://issuer',
      RATE_LIMIT_RPS: '10',
      GOLDEN_REQUESTS: JSON.stringify(golden),
      ORT_TELEMETRY: 'on',
    });
    expect(c.auth.jwt).toMatchObject({
      algorithms: ['RS256', 'ES256'],
      issuer: 'https://issuer',
      requireExpiry: true,
    });
    expect(c.rateLimit).toEqual({ requestsPerSecond: 10, burst: 10 });
    expect(c.goldenRequests[0]?.tolerance).toBe(1e-4);
    expect(c.ortTelemetry).toBe(true);
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', GOLDEN_REQUESTS: '[{"name":1}]' })).toThrow(
      /GOLDEN_REQUESTS/,
    );
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', GOLDEN_REQUESTS: '{' })).toThrow(
      /GOLDEN_REQUESTS.*JSON/,
    );
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', JWT_ISSUER: 'x' })).toThrow(/JWT_JWKS_FILE/);
  });

  it('serves gRPC on GRPC_PORT (8081) unless GRPC_ENABLED=false, never on PORT', () => {
    expect(parseConfig({ MODEL_URI: 'm.onnx' }).server.grpcPort).toBe(8081);
    expect(parseConfig({ MODEL_URI: 'm.onnx', GRPC_PORT: '9000' }).server.grpcPort).toBe(9000);
    expect(parseConfig({ MODEL_URI: 'm.onnx', GRPC_ENABLED: 'false' }).server.grpcPort).toBe(
      undefined,
    );
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', PORT: '8081' })).toThrow(
      /GRPC_PORT \(--grpc-port\) and PORT \(--port\) are both 8081/,
    );
    expect(parseConfig({ MODEL_URI: 'm.onnx', PORT: '0', GRPC_PORT: '0' }).server.grpcPort).toBe(0);
  });

  it('reads the SHADOW_* settings only with a target, and checks them', () => {
    expect(parseConfig({ MODEL_URI: 'm.onnx', SHADOW_PERCENT: '50' }).shadow).toBeUndefined();
    const c = parseConfig({
      MODEL_URI: 'm.onnx',
      SHADOW_TARGET_URL: 'http://scorer-shadow.ml.svc:8080/',
      SHADOW_PERCENT: '12.5',
      SHADOW_TOLERANCE: '1e-3',
    });
    expect(c.shadow).toEqual({
      targetUrl: 'http://scorer-shadow.ml.svc:8080',
      percent: 12.5,
      tolerance: 0.001,
      maxInflight: 64,
      timeoutMs: 1000,
      token: undefined,
    });
    expect(() =>
      parseConfig({ MODEL_URI: 'm.onnx', SHADOW_TARGET_URL: 'http://s', SHADOW_PERCENT: '101' }),
    ).toThrow(/SHADOW_PERCENT.*at most 100/);
    expect(() => parseConfig({ MODEL_URI: 'm.onnx', SHADOW_TARGET_URL: 'scorer-shadow' })).toThrow(
      /SHADOW_TARGET_URL.*http\(s\) URL/,
    );
  });

  it('reads the shadow token: stable pods send it, only a shadow pod accepts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-shadow-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'a-token-of-enough-length\n');
    const stable = parseConfig({
      MODEL_URI: 'm.onnx',
      SHADOW_TARGET_URL: 'http://s',
      SHADOW_TOKEN_FILE: file,
    });
    expect(stable.shadow?.token).toBe('a-token-of-enough-length');
    expect(stable.auth.shadowToken).toBeUndefined();
    const shadow = parseConfig({
      MODEL_URI: 'm.onnx',
      MODEL_TRACK: 'shadow',
      SHADOW_TOKEN_FILE: file,
    });
    expect(shadow.auth.shadowToken).toBe('a-token-of-enough-length');
    writeFileSync(file, 'short\n');
    expect(() =>
      parseConfig({ MODEL_URI: 'm.onnx', MODEL_TRACK: 'shadow', SHADOW_TOKEN_FILE: file }),
    ).toThrow(/SHADOW_TOKEN_FILE: .* a token shorter than 16 characters/);
  });
});
