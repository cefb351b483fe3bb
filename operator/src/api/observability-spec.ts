import { z } from 'zod';
import { secretKeyRef } from './secret-key-ref.js';

/** spec.observability: traces (OpenTelemetry) and sampled payload logs of the runtime pods. */

const OTLP_ENDPOINT_PATTERN = /^https?:\/\/[^\s/]+(\/[^\s]*)?$/;

export const tracingSpec = z
  .strictObject({
    endpoint: z
      .string()
      .max(2048)
      .regex(OTLP_ENDPOINT_PATTERN)
      .describe(
        'OTLP/HTTP base URL of a collector or backend (OpenTelemetry Collector, Jaeger, Tempo), e.g. http://otel-collector.observability:4318; spans go to <endpoint>/v1/traces.',
      ),
    samplingRatio: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe(
        'Share of new traces recorded (0 to 1). A request that arrives with a W3C traceparent follows its caller’s decision.',
      ),
    headersSecretRef: secretKeyRef(
      'Secret holding headers for the exporter (e.g. authorization=Bearer%20<token>) as OTEL_EXPORTER_OTLP_HEADERS expects them: key=value pairs, comma-separated, values URL-encoded.',
      'headers',
    )
      .optional()
      .describe('Exporter headers from a Secret (tokens, tenant ids).'),
    serviceName: z
      .string()
      .min(1)
      .max(253)
      .optional()
      .describe('service.name of the spans; default: the ModelDeployment name.'),
  })
  .describe('Send OpenTelemetry traces of every inference request (off when left out).');

export const redactionSpec = z
  .strictObject({
    input: z.string().min(1).max(256).describe('Name of a model input.'),
    mode: z
      .enum(['drop', 'hash'])
      .default('drop')
      .describe(
        'drop: leave the input out of the record; hash: replace its data with its SHA-256 (low-entropy values can be guessed back from a hash).',
      ),
  })
  .describe('How one input is kept out of payload records.');

export const payloadLoggingSpec = z
  .strictObject({
    sampleRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Share of successful requests whose payload is logged (0 to 1).'),
    logFailures: z
      .boolean()
      .default(true)
      .describe('Log every request answered 4xx or 5xx, with its error, whatever the ratio.'),
    redact: z
      .array(redactionSpec)
      .max(256)
      .optional()
      .describe('Inputs whose values must never be logged.'),
    maxRecordBytes: z
      .number()
      .int()
      .min(1024)
      .max(1048576)
      .default(16384)
      .describe('Largest record; inputs and outputs beyond it are truncated.'),
  })
  .describe(
    'Log sampled request/response payloads as JSON lines on their own logger (name "payload"), for audit and debugging.',
  );

export const observabilitySpec = z
  .strictObject({
    tracing: tracingSpec.optional(),
    payloadLogging: payloadLoggingSpec.optional(),
  })
  .describe('Traces and payload logs of the runtime pods.');

export type ObservabilitySpec = z.output<typeof observabilitySpec>;
