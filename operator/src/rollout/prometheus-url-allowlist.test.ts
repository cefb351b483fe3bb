import { describe, expect, it } from 'vitest';
import {
  invalidAllowListEntries,
  parsePrometheusAllowList,
  prometheusUrlAllowed,
} from './prometheus-url-allowlist.js';

const list = ['http://prometheus.monitoring.svc:9090', 'https://metrics.example.com/prometheus/'];

describe('prometheusUrlAllowed', () => {
  it.each([
    'http://prometheus.monitoring.svc:9090',
    'http://prometheus.monitoring.svc:9090/',
    'http://PROMETHEUS.monitoring.svc:9090/api/v1',
    'https://metrics.example.com/prometheus',
    'https://metrics.example.com:443/prometheus/tenant-a',
  ])('allows %s', (url) => {
    expect(prometheusUrlAllowed(url, list)).toBe(true);
  });

  it.each([
    ['another port', 'http://prometheus.monitoring.svc:9091'],
    ['another scheme', 'https://prometheus.monitoring.svc:9090'],
    ['a longer host', 'http://prometheus.monitoring.svc.evil.com:9090'],
    ['credentials that hide the host', 'http://prometheus.monitoring.svc:9090@169.254.169.254/'],
    ['userinfo the entry does not have', 'http://admin:pw@prometheus.monitoring.svc:9090'],
    ['a sibling path', 'https://metrics.example.com/prometheus-admin'],
    ['a path outside the prefix', 'https://metrics.example.com/'],
    ['dot segments out of the prefix', 'https://metrics.example.com/prometheus/../admin'],
    ['no URL at all', 'not a url'],
    ['another protocol', 'file:///etc/passwd'],
  ])('refuses %s', (_what, url) => {
    expect(prometheusUrlAllowed(url, list)).toBe(false);
  });

  it('refuses every URL when nothing is allowed, and allows any with an explicit *', () => {
    expect(prometheusUrlAllowed('http://prometheus.monitoring.svc:9090', [])).toBe(false);
    expect(prometheusUrlAllowed('http://10.0.0.1:9090', ['*'])).toBe(true);
    expect(prometheusUrlAllowed('ftp://10.0.0.1', ['*'])).toBe(false);
  });
});

describe('parsePrometheusAllowList', () => {
  it('splits on commas and whitespace and flags entries that are not http(s) URLs', () => {
    const entries = parsePrometheusAllowList(' http://a:9090 ,https://b/p\n*,, ');
    expect(entries).toEqual(['http://a:9090', 'https://b/p', '*']);
    expect(invalidAllowListEntries(entries)).toEqual([]);
    expect(invalidAllowListEntries(['prometheus:9090', 'ftp://x'])).toEqual([
      'prometheus:9090',
      'ftp://x',
    ]);
    expect(parsePrometheusAllowList(undefined)).toEqual([]);
  });
});
