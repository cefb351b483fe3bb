import { describe, expect, it } from 'vitest';
import { inconclusive, judge, NO_SAMPLES, NO_STABLE_SAMPLES } from './analysis-judge.js';

const now = new Date('2026-01-01T00:00:00.000Z');
const limits = { maxErrorRate: 0.01, maxLatencyP95Ms: 300 };

describe('judge', () => {
  it('passes healthy samples and reports them', () => {
    const r = judge({ errorRate: 0.002, latencyP95Seconds: 0.0123 }, limits, now);
    expect(r).toMatchObject({
      verdict: 'Pass',
      errorRate: 0.002,
      latencyP95Ms: 12.3,
      time: now.toISOString(),
    });
    expect(r.message).toBe('error rate 0.20% ≤ 1.00%, p95 latency 12.3 ms ≤ 300 ms');
  });

  it.each([
    ['empty result', undefined, undefined],
    ['NaN error rate (0/0: no requests in the window)', Number.NaN, 0.01],
    ['+Inf error rate', Number.POSITIVE_INFINITY, 0.01],
    ['-Inf error rate', Number.NEGATIVE_INFINITY, 0.01],
    ['no error-rate data but latency', undefined, 0.01],
    ['error rate but NaN latency while a latency limit is set', 0, Number.NaN],
    ['error rate but no latency data while a latency limit is set', 0, undefined],
  ])('%s → Inconclusive, never pass or fail', (_name, errorRate, latencyP95Seconds) => {
    const r = judge({ errorRate, latencyP95Seconds }, limits, now);
    expect(r.verdict).toBe('Inconclusive');
    expect(r.message.startsWith(NO_SAMPLES)).toBe(true);
  });

  it('exactly at the thresholds passes (limits are inclusive)', () => {
    expect(judge({ errorRate: 0.01, latencyP95Seconds: 0.3 }, limits, now).verdict).toBe('Pass');
    expect(
      judge(
        { errorRate: 0.01, latencyP95Seconds: 1.1 },
        { maxErrorRate: 0.01, maxLatencyP95Ms: 1100 },
        now,
      ).verdict,
    ).toBe('Pass');
  });

  it('just above a threshold fails with the measurement in the message', () => {
    const e = judge({ errorRate: 0.0101, latencyP95Seconds: 0.1 }, limits, now);
    expect(e).toMatchObject({ verdict: 'Fail', errorRate: 0.0101 });
    expect(e.message).toBe('error rate 1.01% > max 1.00%');
    const l = judge({ errorRate: 0, latencyP95Seconds: 0.301 }, limits, now);
    expect(l.verdict).toBe('Fail');
    expect(l.message).toBe('p95 latency 301 ms > max 300 ms');
  });

  it('a +Inf p95 (beyond the largest bucket) is a real, failing measurement', () => {
    const r = judge({ errorRate: 0, latencyP95Seconds: Number.POSITIVE_INFINITY }, limits, now);
    expect(r.verdict).toBe('Fail');
    expect(r.message).toContain('above the largest bucket');
    expect(r.latencyP95Ms).toBeUndefined();
  });

  it('a measured failure wins over a missing other metric', () => {
    expect(judge({ errorRate: 0.5, latencyP95Seconds: undefined }, limits, now).verdict).toBe(
      'Fail',
    );
    expect(judge({ errorRate: undefined, latencyP95Seconds: 2 }, limits, now).verdict).toBe('Fail');
  });

  it('without a latency limit, the error rate alone decides', () => {
    const r = judge({ errorRate: 0, latencyP95Seconds: undefined }, { maxErrorRate: 0.01 }, now);
    expect(r.verdict).toBe('Pass');
    expect(judge({ errorRate: 0, latencyP95Seconds: 9 }, { maxErrorRate: 0.01 }, now).verdict).toBe(
      'Pass',
    );
  });

  it('inconclusive() wraps a check that could not run', () => {
    expect(inconclusive('Prometheus down', now)).toEqual({
      time: now.toISOString(),
      verdict: 'Inconclusive',
      message: 'Prometheus down',
    });
  });
});

describe('judge relative to stable', () => {
  const relative = { maxErrorRate: 1, maxErrorRateIncrease: 0.01, maxLatencyRatio: 1.5 };
  const stable = { errorRate: 0.02, latencyP95Seconds: 0.1 };

  it('passes a canary within delta and ratio of stable, measured in the same window', () => {
    const r = judge({ errorRate: 0.03, latencyP95Seconds: 0.15, stable }, relative, now);
    expect(r.verdict, r.message).toBe('Pass');
    expect(r.message).toBe(
      'error rate 3.00% ≤ 100.00%, error rate 3.00% ≤ stable 2.00% + 1.00%, p95 latency 150 ms ≤ 1.5 × stable 100 ms',
    );
  });

  it('fails a canary whose error rate exceeds stable + delta, though under the absolute limit', () => {
    const r = judge({ errorRate: 0.0301, latencyP95Seconds: 0.1, stable }, relative, now);
    expect(r.verdict).toBe('Fail');
    expect(r.message).toBe('error rate 3.01% > stable 2.00% + 1.00%');
  });

  it('fails a canary slower than ratio × stable p95', () => {
    const r = judge({ errorRate: 0.02, latencyP95Seconds: 0.151, stable }, relative, now);
    expect(r.verdict).toBe('Fail');
    expect(r.message).toBe('p95 latency 151 ms > 1.5 × stable 100 ms');
  });

  it('a loaded cluster: a slow stable excuses an equally slow canary that an absolute limit fails', () => {
    const slow = { errorRate: 0, latencyP95Seconds: 0.8 };
    const samples = { errorRate: 0, latencyP95Seconds: 0.9, stable: slow };
    expect(judge(samples, { maxErrorRate: 0.01, maxLatencyRatio: 1.2 }, now).verdict).toBe('Pass');
    expect(judge(samples, { maxErrorRate: 0.01, maxLatencyP95Ms: 500 }, now).verdict).toBe('Fail');
  });

  it.each([
    ['no stable data at all', undefined],
    ['stable without requests (NaN)', { errorRate: Number.NaN, latencyP95Seconds: Number.NaN }],
    ['stable with an empty result', { errorRate: undefined, latencyP95Seconds: undefined }],
  ])('%s → Inconclusive naming the stable track', (_name, stableSamples) => {
    const r = judge(
      { errorRate: 0, latencyP95Seconds: 0.1, ...(stableSamples ? { stable: stableSamples } : {}) },
      relative,
      now,
    );
    expect(r.verdict).toBe('Inconclusive');
    expect(r.message).toBe(
      `${NO_STABLE_SAMPLES}: stable error rate and stable p95 latency had no data`,
    );
  });

  it('a measured relative failure wins over missing stable latency', () => {
    const r = judge(
      {
        errorRate: 0.5,
        latencyP95Seconds: 0.1,
        stable: { errorRate: 0, latencyP95Seconds: undefined },
      },
      relative,
      now,
    );
    expect(r.verdict).toBe('Fail');
  });

  it('above the largest bucket: a finite canary is within any ratio, two infinities compare nothing', () => {
    const inf = Number.POSITIVE_INFINITY;
    const limits = { maxErrorRate: 1, maxLatencyRatio: 2 };
    const infStable = { errorRate: 0, latencyP95Seconds: inf };
    expect(
      judge({ errorRate: 0, latencyP95Seconds: 3, stable: infStable }, limits, now).verdict,
    ).toBe('Pass');
    expect(
      judge({ errorRate: 0, latencyP95Seconds: inf, stable: infStable }, limits, now).verdict,
    ).toBe('Inconclusive');
    const fast = { errorRate: 0, latencyP95Seconds: 0.01 };
    expect(judge({ errorRate: 0, latencyP95Seconds: inf, stable: fast }, limits, now).verdict).toBe(
      'Fail',
    );
  });

  it('canary without samples says so first, whatever stable shows', () => {
    const r = judge({ errorRate: undefined, latencyP95Seconds: undefined, stable }, relative, now);
    expect(r.verdict).toBe('Inconclusive');
    expect(r.message.startsWith(NO_SAMPLES)).toBe(true);
  });
});
