import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig analysis settings', () => {
  it('allows no Prometheus URL unless the administrator lists some', () => {
    expect(loadConfig([], {}, 'host').analysis).toEqual({
      allowedPrometheusUrls: [],
      namespaceLabel: undefined,
    });
  });

  it('reads the allow-list and the namespace label from env or flags', () => {
    const env = { ANALYSIS_PROMETHEUS_URLS: 'http://prom:9090, https://m.example/prometheus' };
    const config = loadConfig(['--analysis-namespace-label', 'namespace'], env, 'host');
    expect(config.analysis).toEqual({
      allowedPrometheusUrls: ['http://prom:9090', 'https://m.example/prometheus'],
      namespaceLabel: 'namespace',
    });
  });

  it('stops start-up on an entry that is not a URL, naming the setting', () => {
    expect(() => loadConfig([], { ANALYSIS_PROMETHEUS_URLS: 'prom:9090' }, 'host')).toThrow(
      /ANALYSIS_PROMETHEUS_URLS: entries must be http\(s\) URLs or \*/,
    );
  });
});
