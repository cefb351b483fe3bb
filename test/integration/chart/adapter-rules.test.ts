/**
 * The chart's prometheus-adapter rules, run the way prometheus-adapter runs them: the
 * rendered seriesQuery and metricsQuery (with <<.Series>>, <<.LabelMatchers>> and
 * <<.GroupBy>> filled in as the adapter fills them for a Pods metric) against a real
 * Prometheus that scrapes the runtime's own metrics registry (runtime/src/metrics.ts),
 * labelled with namespace and pod as a Kubernetes scrape job labels them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics, type RuntimeMetrics } from '../../../runtime/src/metrics.js';
import {
  startPrometheus,
  waitFor,
  type PrometheusServer,
} from '../../integration-prometheus/prometheus-server.js';
import { helmTemplate, parseManifests, type Manifest } from '../../support/helm-chart.js';

interface AdapterRule {
  seriesQuery: string;
  name: { as: string };
  metricsQuery: string;
}

interface FakePod {
  readonly name: string;
  readonly metrics: RuntimeMetrics;
  readonly server: http.Server;
  target: string;
}

const NAMESPACE = 'models';
/** Short, so the test needs seconds of samples; the chart's default is 1m. */
const WINDOW = '5s';

/** A runtime metrics registry served on loopback, labelled like a scraped pod. */
async function fakePod(name: string): Promise<FakePod> {
  const metrics = createMetrics({ model: 'iris', version: '1', track: 'stable' });
  metrics.registry.setDefaultLabels({
    model: 'iris',
    version: '1',
    track: 'stable',
    namespace: NAMESPACE,
    pod: name,
  });
  const server = http.createServer((_req, res) => {
    metrics.registry
      .metrics()
      .then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      })
      .catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { name, metrics, server, target: `127.0.0.1:${port}` };
}

/** What prometheus-adapter substitutes for a Pods metric request over `pods`. */
function expand(template: string, series: string, pods: readonly string[]): string {
  return template
    .replaceAll('<<.Series>>', series)
    .replaceAll('<<.LabelMatchers>>', `namespace="${NAMESPACE}",pod=~"${pods.join('|')}"`)
    .replaceAll('<<.GroupBy>>', 'pod');
}

async function query(url: string, promql: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${body.error ?? res.status}`);
  return Object.fromEntries(
    (body.data?.result ?? []).map((r) => [r.metric.pod ?? '?', Number(r.value[1])]),
  );
}

describe('prometheus-adapter rules on a real Prometheus', () => {
  let rules: AdapterRule[] = [];
  let prometheus: PrometheusServer | undefined;
  let traffic: NodeJS.Timeout | undefined;
  const pods: FakePod[] = [];

  beforeAll(async () => {
    const objs = parseManifests(
      await helmTemplate(inject('binDir'), {
        values: { prometheusAdapter: { rules: { enabled: true, window: WINDOW } } },
      }),
    );
    const cm = objs.find((o) => o.kind === 'ConfigMap') as
      (Manifest & { data: Record<string, string> }) | undefined;
    rules = (parse(cm?.data['config.yaml'] ?? '') as { rules: AdapterRule[] }).rules;

    // busy: serves inference at 18 ms and is probed every few ms; idle: served one request
    // long ago; fresh: has only been probed.
    for (const name of ['busy', 'idle', 'fresh']) pods.push(await fakePod(name));
    const [busy, idle, fresh] = pods as [FakePod, FakePod, FakePod];
    idle.metrics.requestDuration.observe({ route: '/predict', code: '200' }, 0.3);
    busy.metrics.inflight.set(3);
    // Bounded: stops by itself after 60 s even if afterAll never runs.
    const until = Date.now() + 60_000;
    traffic = setInterval(() => {
      if (Date.now() > until) return clearInterval(traffic);
      busy.metrics.requestDuration.observe({ route: '/v2/models/:name/infer', code: '200' }, 0.018);
      // 40 probe and scrape answers per inference request: counted, they would be over 95 %
      // of the samples and the p95 would be theirs.
      for (const pod of pods) {
        for (const route of ['/ready', '/health', '/v2/health/ready', '/metrics']) {
          for (let i = 0; i < 10; i++)
            pod.metrics.requestDuration.observe({ route, code: '200' }, 0.0002);
        }
      }
      fresh.metrics.requestDuration.observe(
        { route: '/v2/models/:name/ready', code: '200' },
        0.0002,
      );
    }, 50);
    traffic.unref();

    prometheus = await startPrometheus({
      targets: pods.map((p) => p.target),
      scrapeIntervalSeconds: 1,
    });
    const url = prometheus.url;
    // Enough scrapes inside the window for rate() to see traffic on every pod.
    await waitFor(
      'three scrapes of every fake pod',
      async () => {
        const counts = await query(
          url,
          `count_over_time(modeldeploy_inflight_requests{namespace="${NAMESPACE}"}[${WINDOW}])`,
        );
        return pods.every((p) => (counts[p.name] ?? 0) >= 3);
      },
      30_000,
    );
  });

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await prometheus?.stop();
    await Promise.all(
      pods.map((p) => new Promise<void>((resolve) => p.server.close(() => resolve()))),
    );
  });

  const rule = (name: string): AdapterRule => {
    const found = rules.find((r) => r.name.as === name);
    if (!found) throw new Error(`no rule publishes ${name}`);
    return found;
  };

  it('seriesQuery finds the runtime series of every pod', async () => {
    const url = prometheus?.url ?? '';
    for (const r of rules) {
      const res = await fetch(`${url}/api/v1/series?match[]=${encodeURIComponent(r.seriesQuery)}`);
      const body = (await res.json()) as { data: { pod: string }[] };
      expect(new Set(body.data.map((s) => s.pod)), r.seriesQuery).toEqual(
        new Set(['busy', 'idle', 'fresh']),
      );
    }
  });

  it('latency p95: per-pod seconds from inference routes only, 0 when idle, absent when never used', async () => {
    const latency = rule('modeldeploy_request_duration_seconds_p95');
    const promql = expand(
      latency.metricsQuery,
      'modeldeploy_request_duration_seconds_bucket',
      pods.map((p) => p.name),
    );
    const values = await query(prometheus?.url ?? '', promql);
    expect(Object.keys(values).sort()).toEqual(['busy', 'idle']);
    // 18 ms falls in the (15 ms, 20 ms] bucket; with the probes counted it would be < 1 ms.
    expect(values.busy).toBeGreaterThan(0.015);
    expect(values.busy).toBeLessThanOrEqual(0.02);
    expect(values.idle).toBe(0);
    const withProbes = await query(
      prometheus?.url ?? '',
      promql.replaceAll(',route!~".*/(health|ready|live|metrics)(/.*)?"', ''),
    );
    expect(withProbes.busy).toBeLessThan(0.001);
  });

  it('in-flight requests: the gauge averaged over the window', async () => {
    const inflight = rule('modeldeploy_inflight_requests');
    const values = await query(
      prometheus?.url ?? '',
      expand(
        inflight.metricsQuery,
        'modeldeploy_inflight_requests',
        pods.map((p) => p.name),
      ),
    );
    expect(values).toEqual({ busy: 3, idle: 0, fresh: 0 });
  });
});
