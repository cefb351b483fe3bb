import { describe, expect, it } from 'vitest';
import { shadowQueries } from './shadow-queries.js';

describe('shadowQueries', () => {
  const q = shadowQueries({ namespace: 'ml', name: 'scorer', model: 'fraud "v"' }, 300);

  it('selects the stable pods of this ModelDeployment only, over the window', () => {
    for (const query of Object.values(q)) {
      expect(query).toContain('modeldeployment="ml/scorer"');
      expect(query).toContain('model="fraud \\"v\\""');
      expect(query).toContain('track="stable"');
      expect(query).toContain('[300s]');
    }
  });

  it('reads no comparisons as no data, and no disagreement series as zero', () => {
    expect(q.disagreementRate).toBe(
      '(sum(increase(modeldeploy_shadow_disagreed_total{modeldeployment="ml/scorer",model="fraud \\"v\\"",track="stable"}[300s])) or vector(0)) / ' +
        'sum(increase(modeldeploy_shadow_compared_total{modeldeployment="ml/scorer",model="fraud \\"v\\"",track="stable"}[300s]))',
    );
    expect(q.latencyP95).toMatch(
      /^histogram_quantile\(0\.95, sum by \(le\) \(rate\(modeldeploy_shadow_duration_seconds_bucket\{/,
    );
  });
});
