import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

async function requestSeries(instance: string | undefined): Promise<string[]> {
  const metrics = createMetrics({ model: 'scorer', version: '2', track: 'canary', instance });
  metrics.requests.inc({ route: '/predict', code: '400', protocol: 'http' });
  metrics.requestDuration.observe({ route: '/predict', code: '400', protocol: 'http' }, 0.01);
  const text = await metrics.registry.metrics();
  return text
    .split('\n')
    .filter((line) => /^modeldeploy_request(s_total|_duration_seconds_count)\{/.test(line));
}

describe('createMetrics', () => {
  it('labels request metrics with the ModelDeployment that canary analysis selects on', async () => {
    const series = await requestSeries('prod/scorer');
    expect(series).toHaveLength(2);
    for (const line of series) {
      expect(line).toContain('modeldeployment="prod/scorer"');
      expect(line).toContain('track="canary"');
    }
  });

  it('has no modeldeployment label when the runtime is run by hand', async () => {
    const series = await requestSeries(undefined);
    expect(series).toHaveLength(2);
    for (const line of series) expect(line).not.toContain('modeldeployment=');
  });
});
