import { ROOT_CONTEXT, SamplingDecision, SpanKind } from '@opentelemetry/api';
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { RandomIds } from './random-ids.js';

/** The last drawn trace id as hex, as the API shows it. */
const traceHex = (ids: RandomIds): string => Buffer.from(ids.traceBytes()).toString('hex');
import { rootSampleBound } from './root-sampling.js';
import type { SamplerName } from './tracing-config.js';

describe('rootSampleBound', () => {
  it.each([0, 0.001, 0.1, 0.5, 0.999, 1])(
    'decides as OpenTelemetry TraceIdRatioBased{%s} does on the same trace ids',
    (ratio) => {
      const sdk = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
      const bound = rootSampleBound('parentbased_traceidratio', ratio);
      const ids = new RandomIds();
      let sampled = 0;
      for (let i = 0; i < 5000; i++) {
        const ours = ids.drawTrace() < bound;
        const { decision } = sdk.shouldSample(
          ROOT_CONTEXT,
          traceHex(ids),
          'x',
          SpanKind.SERVER,
          {},
          [],
        );
        expect(ours).toBe(decision === SamplingDecision.RECORD_AND_SAMPLED);
        if (ours) sampled++;
      }
      // Not a statistical test: the ratio is not silently ignored at the ends.
      if (ratio === 0) expect(sampled).toBe(0);
      if (ratio === 1) expect(sampled).toBe(5000);
    },
  );

  it.each<[SamplerName, number, number]>([
    ['always_on', 0.25, 2 ** 32],
    ['parentbased_always_on', 0.25, 2 ** 32],
    ['always_off', 0.25, 0],
    ['parentbased_always_off', 0.25, 0],
    ['traceidratio', 0.25, Math.floor(0.25 * 0xffffffff)],
    ['traceidratio', Number.NaN, 0],
  ])('%s with ratio %s is the bound %s', (name, ratio, bound) => {
    expect(rootSampleBound(name, ratio)).toBe(bound);
  });

  it('normalises a ratio out of [0, 1] as the SDK does', () => {
    expect(rootSampleBound('traceidratio', 7)).toBe(2 ** 32);
    expect(rootSampleBound('traceidratio', -1)).toBe(0);
  });
});
