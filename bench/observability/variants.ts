/** The runtime configurations bench/observability compares (run.ts and profile.ts). */
export type Variant =
  'baseline' | 'off' | 'tracing-0' | 'tracing-10' | 'tracing-100' | 'payload-10';

export const VARIANT_NAMES: Record<Variant, string> = {
  baseline: 'baseline: the runtime before tracing existed',
  off: 'tracing and payload logging off',
  'tracing-0': 'tracing, no trace sampled',
  'tracing-10': 'tracing, 10 % of traces sampled',
  'tracing-100': 'tracing, every trace sampled',
  'payload-10': 'payload logging, 10 % of requests',
};

export function isVariant(name: string): name is Variant {
  return Object.hasOwn(VARIANT_NAMES, name);
}

const RATIOS: Partial<Record<Variant, string>> = {
  'tracing-0': '0',
  'tracing-10': '0.1',
  'tracing-100': '1',
};

/** The runtime's environment for a variant; spans go to `otlpEndpoint` (a loopback sink). */
export function variantEnv(variant: Variant, otlpEndpoint: string): Record<string, string> {
  const ratio = RATIOS[variant];
  if (ratio !== undefined)
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: ratio,
    };
  if (variant === 'payload-10')
    return { PAYLOAD_LOG_SAMPLE_RATIO: '0.1', PAYLOAD_LOG_FAILURES: 'true' };
  return {};
}
