import type { RuntimeEnv } from '../config/env-schema.js';

export type SamplerName = RuntimeEnv['OTEL_TRACES_SAMPLER'];
export type OtlpProtocol = RuntimeEnv['OTEL_EXPORTER_OTLP_PROTOCOL'];

/** Where and how much the runtime traces; `undefined` in RuntimeConfig means tracing is off. */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** How the spans are encoded: protobuf unless http/json is asked for. */
  readonly protocol: OtlpProtocol;
  readonly sampler: SamplerName;
  /** For the traceidratio samplers; OpenTelemetry's default is 1. */
  readonly ratio: number;
  readonly serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES; service.name is serviceName's whatever they say. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

/**
 * Tracing is on when an OTLP endpoint is configured and OTEL_SDK_DISABLED is not true, as
 * for OpenTelemetry's own SDKs: a runtime without an endpoint has nowhere to send spans.
 */
export function tracingConfig(e: RuntimeEnv): TracingConfig | undefined {
  if (e.OTEL_SDK_DISABLED) return undefined;
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? tracesUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (url === undefined) return undefined;
  return {
    url,
    headers: e.OTEL_EXPORTER_OTLP_HEADERS ?? {},
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampler: e.OTEL_TRACES_SAMPLER,
    ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    serviceName: e.OTEL_SERVICE_NAME,
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
  };
}

/** The OTLP/HTTP convention: the signal path is appended to the base endpoint. */
function tracesUrl(base: string | undefined): string | undefined {
  if (base === undefined) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
