import { describe, expect, it } from 'vitest';
import { canaryQueries, inconclusive, judge, NO_SAMPLES } from './analysis-queries.js';

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

describe('canaryQueries', () => {
  it('selects the canary track of one model version, inference routes only', () => {
    const q = canaryQueries({ canary: undefined }, 'iris', '2.0.0', 30);
    expect(q.errorRate).toBe(
      '(sum(rate(modeldeploy_requests_total{model="iris",version="2.0.0",track="canary",route=~"/predict|.*:predict|.*/infer",code=~"5.."}[30s])) or vector(0)) / ' +
        'sum(rate(modeldeploy_requests_total{model="iris",version="2.0.0",track="canary",route=~"/predict|.*:predict|.*/infer"}[30s]))',
    );
    expect(q.latencyP95).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(modeldeploy_request_duration_seconds_bucket{model="iris",version="2.0.0",track="canary",route=~"/predict|.*:predict|.*/infer"}[30s])))',
    );
  });

  it('never uses a window shorter than the analysis interval, and escapes labels', () => {
    const spec = {
      canary: {
        model: { version: 'v2', uri: 'https://m/x.onnx' },
        steps: [{ weight: 10, pauseSeconds: 60 }],
        analysis: {
          intervalSeconds: 60,
          maxErrorRate: 0.01,
          failureLimit: 2,
          inconclusiveLimit: 10,
        },
        promote: false,
        abort: false,
      },
    };
    const q = canaryQueries(spec, 'a"b', 'v2', 10, { namespace: 'prod' });
    expect(q.errorRate).toContain('[60s]');
    expect(q.errorRate).toContain('model="a\\"b"');
    expect(q.latencyP95).toContain('namespace="prod"');
  });
});
