import type { V1EnvVar } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;
type Env = Record<string, string | undefined>;

/**
 * spec.observability.tracing as OpenTelemetry's standard variables. Parent-based ratio
 * sampling: a request whose caller sampled it (W3C traceparent) is traced whatever the ratio.
 */
function tracingEnv(md: Source): Env {
  const tracing = md.spec.observability?.tracing;
  if (tracing === undefined) return {};
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: tracing.endpoint,
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(tracing.samplingRatio),
    OTEL_SERVICE_NAME: tracing.serviceName ?? md.metadata.name,
  };
}

function payloadLoggingEnv(md: Source): Env {
  const logging = md.spec.observability?.payloadLogging;
  if (logging === undefined) return {};
  const redact = logging.redact ?? [];
  return {
    PAYLOAD_LOG_SAMPLE_RATIO: String(logging.sampleRatio),
    PAYLOAD_LOG_FAILURES: String(logging.logFailures),
    PAYLOAD_LOG_MAX_RECORD_BYTES: String(logging.maxRecordBytes),
    PAYLOAD_LOG_REDACT: redact.length > 0 ? JSON.stringify(redact) : undefined,
  };
}

/** The literal variables of spec.observability (runtime/src/config/env-schema.ts reads them). */
export function observabilityEnv(md: Source): Env {
  return { ...tracingEnv(md), ...payloadLoggingEnv(md) };
}

/** Exporter headers hold credentials: the kubelet reads them from the Secret, not the spec. */
export function observabilitySecretEnv(md: Source): V1EnvVar[] {
  const ref = md.spec.observability?.tracing?.headersSecretRef;
  if (ref === undefined) return [];
  return [
    {
      name: 'OTEL_EXPORTER_OTLP_HEADERS',
      valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
    },
  ];
}
