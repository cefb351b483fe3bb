import type { V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import { buildDeployment, type DeploymentOptions } from './deployment.js';

function parse(observability: unknown): ReturnType<typeof parseModelDeployment> {
  return parseModelDeployment({
    metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 3 },
    spec: {
      model: { version: 'v1', uri: 'https://models.example/m.onnx' },
      ...(observability !== undefined && { observability }),
    },
  });
}

function modelDeployment(observability?: unknown): ModelDeployment {
  const result = parse(observability);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.value;
}

const stable: DeploymentOptions = {
  track: 'stable',
  model: { version: 'v1', uri: 'https://models.example/m.onnx' },
  replicas: 2,
  defaultImage: 'modeldeploy/runtime:0.1.0',
};

function envList(d: V1Deployment): V1EnvVar[] {
  return d.spec?.template.spec?.containers[0]?.env ?? [];
}

function envOf(d: V1Deployment): Record<string, string | undefined> {
  return Object.fromEntries(envList(d).map((e) => [e.name, e.value]));
}

describe('spec.observability in the runtime environment', () => {
  it('sets no tracing or payload variable when the section is left out', () => {
    const names = envList(buildDeployment(modelDeployment(), stable)).map((e) => e.name);
    expect(names.filter((n) => n.startsWith('OTEL_') || n.startsWith('PAYLOAD_LOG_'))).toEqual([]);
  });

  it('turns tracing into the OTEL_* variables, with parent-based ratio sampling', () => {
    const md = modelDeployment({
      tracing: { endpoint: 'http://otel-collector.observability:4318', samplingRatio: 0.1 },
    });
    expect(envOf(buildDeployment(md, stable))).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      OTEL_SERVICE_NAME: 'scorer',
    });
  });

  it('samples every trace by default and takes a service name when given', () => {
    const md = modelDeployment({
      tracing: { endpoint: 'https://tempo.example/otlp', serviceName: 'fraud' },
    });
    const canary = buildDeployment(md, { ...stable, track: 'canary' });
    expect(envOf(canary)).toMatchObject({
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_SERVICE_NAME: 'fraud',
    });
  });

  it('reads the exporter headers from the Secret, never from the spec', () => {
    const md = modelDeployment({
      tracing: { endpoint: 'http://c:4318', headersSecretRef: { name: 'otlp-auth' } },
    });
    const headers = envList(buildDeployment(md, stable)).find(
      (e) => e.name === 'OTEL_EXPORTER_OTLP_HEADERS',
    );
    expect(headers).toEqual({
      name: 'OTEL_EXPORTER_OTLP_HEADERS',
      valueFrom: { secretKeyRef: { name: 'otlp-auth', key: 'headers' } },
    });
  });

  it('turns payload logging into PAYLOAD_LOG_*, failures logged by default', () => {
    const md = modelDeployment({
      payloadLogging: {
        sampleRatio: 0.05,
        redact: [{ input: 'ssn', mode: 'hash' }, { input: 'name:0' }],
      },
    });
    const env = envOf(buildDeployment(md, stable));
    expect(env).toMatchObject({
      PAYLOAD_LOG_SAMPLE_RATIO: '0.05',
      PAYLOAD_LOG_FAILURES: 'true',
      PAYLOAD_LOG_MAX_RECORD_BYTES: '16384',
    });
    expect(JSON.parse(env['PAYLOAD_LOG_REDACT'] ?? '')).toEqual([
      { input: 'ssn', mode: 'hash' },
      { input: 'name:0', mode: 'drop' },
    ]);
  });

  it('lets spec.runtime.env still override an observability variable', () => {
    const result = parseModelDeployment({
      metadata: { name: 'scorer', namespace: 'ml', uid: 'uid-1', generation: 3 },
      spec: {
        model: { version: 'v1', uri: 'https://models.example/m.onnx' },
        observability: { tracing: { endpoint: 'http://c:4318' } },
        runtime: { env: [{ name: 'OTEL_TRACES_SAMPLER', value: 'always_on' }] },
      },
    });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const env = envList(buildDeployment(result.value, stable));
    expect(env.filter((e) => e.name === 'OTEL_TRACES_SAMPLER')).toEqual([
      { name: 'OTEL_TRACES_SAMPLER', value: 'always_on' },
    ]);
  });

  it.each([
    ['an endpoint without a scheme', { tracing: { endpoint: 'collector:4318' } }],
    ['a sampling ratio above 1', { tracing: { endpoint: 'http://c:4318', samplingRatio: 2 } }],
    ['an unknown redaction mode', { payloadLogging: { redact: [{ input: 'x', mode: 'mask' }] } }],
    ['a record cap under 1 KiB', { payloadLogging: { maxRecordBytes: 100 } }],
    ['an unknown field', { tracing: { endpoint: 'http://c:4318', ratio: 0.5 } }],
  ])('refuses %s', (_what, observability) => {
    expect(parse(observability).ok).toBe(false);
  });
});
