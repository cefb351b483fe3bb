import { TracerProvider, type TracerProviderOptions } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../config/index.js';
import { createTracing, samplerFor } from './tracing.js';

const base = { MODEL_URI: '/models/m.onnx' };

describe('tracing configuration from the OTEL_* variables', () => {
  it('is off by default', () => {
    expect(parseConfig(base).tracing).toBeUndefined();
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT and reads sampler, ratio, service and headers', () => {
    const tracing = parseConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.obs:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cret, x-tenant = team-a',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_SERVICE_NAME: 'fraud-scorer',
    }).tracing;
    expect(tracing).toEqual({
      url: 'http://collector.obs:4318/v1/traces',
      headers: { authorization: 'Bearer s3cret', 'x-tenant': 'team-a' },
      protocol: 'http/protobuf',
      sampler: 'parentbased_traceidratio',
      ratio: 0.1,
      serviceName: 'fraud-scorer',
      resourceAttributes: {},
    });
  });

  it('reads OTEL_RESOURCE_ATTRIBUTES with keys as given and values URL-decoded', () => {
    const tracing = parseConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_RESOURCE_ATTRIBUTES:
        'deployment.environment.name=prod, k8s.pod.name=scorer%2D7f9,Team=Risk%20Ops',
    }).tracing;
    expect(tracing?.resourceAttributes).toEqual({
      'deployment.environment.name': 'prod',
      'k8s.pod.name': 'scorer-7f9',
      Team: 'Risk Ops',
    });
  });

  it('takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, and OpenTelemetry defaults otherwise', () => {
    const tracing = parseConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/v1/traces',
    }).tracing;
    expect(tracing).toMatchObject({
      url: 'https://tempo.example/otlp/v1/traces',
      sampler: 'parentbased_always_on',
      ratio: 1,
      serviceName: 'modeldeploy-runtime',
    });
  });

  it('reads the OTLP protocol, the traces-only variable winning', () => {
    const endpoint = { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    const json = { ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    expect(parseConfig(json).tracing?.protocol).toBe('http/json');
    const traces = { ...json, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' };
    expect(parseConfig(traces).tracing?.protocol).toBe('http/protobuf');
  });

  it('OTEL_SDK_DISABLED=true turns it off whatever the endpoint', () => {
    const env = {
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_SDK_DISABLED: 'true',
    };
    expect(parseConfig(env).tracing).toBeUndefined();
  });

  it.each([
    ['OTEL_TRACES_SAMPLER_ARG', '1.5', /between 0 and 1/],
    ['OTEL_TRACES_SAMPLER', 'sometimes', /OTEL_TRACES_SAMPLER/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', /expected a URL/],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', /not gRPC/],
  ])('refuses %s=%s, naming it', (variable, value, message) => {
    expect(() => parseConfig({ ...base, [variable]: value })).toThrow(message);
  });

  it('refuses malformed headers without repeating them (they hold credentials)', () => {
    const env = { ...base, OTEL_EXPORTER_OTLP_HEADERS: 'Bearer-token-without-key' };
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(/key=value pairs.*not shown/);
    expect(() => parseConfig(env)).not.toThrow(/Bearer-token/);
  });
});

describe('createTracing', () => {
  it('with tracing off, constructs no provider (so no span object is ever made)', () => {
    let built = 0;
    const factory = (options: TracerProviderOptions): TracerProvider => {
      built++;
      return new TracerProvider(options);
    };
    expect(createTracing(undefined, '0.1.0', { provider: factory })).toBeUndefined();
    expect(built).toBe(0);
  });

  it('with an endpoint, builds one provider with the service name; the sampler decides ahead of it', async () => {
    const seen: TracerProviderOptions[] = [];
    const factory = (options: TracerProviderOptions): TracerProvider => {
      seen.push(options);
      return new TracerProvider(options);
    };
    const config = parseConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_SERVICE_NAME: 'scorer',
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=not-this,deployment.environment.name=prod',
    }).tracing;
    const tracing = createTracing(config, '0.1.0', { provider: factory });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.resource?.attributes).toMatchObject({
      'service.name': 'scorer',
      'service.version': '0.1.0',
      'deployment.environment.name': 'prod',
    });
    expect(tracing?.head.toString()).toBe('TraceIdRatioBased{0.25}');
    // Requests the head sampler drops never reach the provider; it records what it is given.
    expect(seen[0]?.sampler?.toString()).toBe('AlwaysOnSampler');
    await tracing?.shutdown();
  });
});

describe('samplerFor', () => {
  it.each([
    ['always_on', 'AlwaysOnSampler'],
    ['always_off', 'AlwaysOffSampler'],
    ['traceidratio', 'TraceIdRatioBased{0.5}'],
    ['parentbased_always_on', 'ParentBased{root=AlwaysOnSampler'],
    ['parentbased_always_off', 'ParentBased{root=AlwaysOffSampler'],
    ['parentbased_traceidratio', 'ParentBased{root=TraceIdRatioBased{0.5}'],
  ] as const)('%s is %s', (name, shown) => {
    expect(samplerFor(name, 0.5).toString()).toContain(shown);
  });
});
