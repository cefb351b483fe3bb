import { describe, expect, it } from 'vitest';
import { analysisSpec } from '../api/model-deployment-spec.js';
import { analysisForStatus, analyzeCanary, isRefusedAnalysis } from './canary-analysis.js';

const now = new Date('2026-01-01T00:00:00.000Z');
const target = { namespace: 'team-a', name: 'scorer', model: 'scorer', version: '2', now };

describe('analyzeCanary refusals', () => {
  it('refuses a prometheusUrl outside the allow-list before any request, marked for a condition', async () => {
    const outcome = await analyzeCanary({
      ...target,
      analysis: analysisSpec.parse({ prometheusUrl: 'http://169.254.169.254/latest' }),
      allowedPrometheusUrls: ['http://prometheus.monitoring.svc:9090'],
    });
    expect(isRefusedAnalysis(outcome)).toBe(true);
    expect(outcome).toMatchObject({
      verdict: 'Inconclusive',
      refused: 'PrometheusUrlNotAllowed',
      time: now.toISOString(),
    });
    expect(analysisForStatus(outcome)).toEqual({
      time: now.toISOString(),
      verdict: 'Inconclusive',
      message: outcome.message,
    });
  });

  it('without prometheusUrl there is nothing to refuse or measure', async () => {
    const outcome = await analyzeCanary({
      ...target,
      analysis: analysisSpec.parse({}),
      allowedPrometheusUrls: [],
    });
    expect(isRefusedAnalysis(outcome)).toBe(false);
    expect(analysisForStatus(outcome)).toBe(outcome);
    expect(outcome.message).toBe('analysis has no prometheusUrl');
  });
});
