import type { SamplerName } from './tracing-config.js';

/** Every 32-bit XOR of a trace id is below it: the request is sampled. */
const ALWAYS = 2 ** 32;

/**
 * What the configured sampler decides for a request that starts a trace (no traceparent),
 * as a bound on the XOR of the new trace id's four 32-bit words (RandomIds.drawTrace): the
 * trace is sampled when the XOR is below it. That is the rule of OpenTelemetry's
 * TraceIdRatioBased sampler, to the bound (`Math.floor(ratio * 0xffffffff)`, all ids at 1),
 * so a collector or another service deciding on the same id with the same ratio agrees, and
 * the always_on/always_off samplers are the bounds 2^32 and 0. Parent-based samplers defer
 * to their root sampler here: there is no parent. Deciding on the number means the ninety
 * in a hundred requests a 10 % ratio drops never turn an id into hex.
 */
export function rootSampleBound(name: SamplerName, ratio: number): number {
  switch (name) {
    case 'always_on':
    case 'parentbased_always_on':
      return ALWAYS;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return ratioBound(ratio);
  }
}

/** TraceIdRatioBasedSampler's bound, with its normalisation of the ratio. */
function ratioBound(ratio: number): number {
  if (Number.isNaN(ratio) || ratio <= 0) return 0;
  if (ratio >= 1) return ALWAYS;
  return Math.floor(ratio * 0xffffffff);
}

/** Every root request is sampled (tests that trace everything). */
export const SAMPLE_EVERY_ROOT = ALWAYS;
