/**
 * The chart's prometheus-adapter rules, evaluated by the real prometheus-adapter (built by
 * test/cluster/build-adapter.sh) against a real Prometheus that scrapes the runtime's own
 * metrics registry (runtime/src/metrics.ts), labelled with namespace and pod as a
 * Kubernetes scrape job labels them. The pods the series name exist in the harness
 * cluster (on its kwok node), so the adapter lists them, fills in the rules' templates as
 * it does in production and answers custom.metrics.k8s.io requests on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics, type RuntimeMetrics } from '../../../runtime/src/metrics.js';
import {
  startPrometheus,
  waitFor,
  type PrometheusServer,
} from '../../integration-prometheus/prometheus-server.js';
import { apiRequest } from '../../cluster/api-client.js';
import { parseKubeconfig, type ApiCredentials } from '../../cluster/kubeconfig.js';
import {
  chartAdapterRules,
  ensureAdapter,
  quantityToNumber,
  startAdapterProcess,
} from '../../cluster/metrics-chain.js';
import { ProcessSupervisor, logTail } from '../../cluster/processes.js';
import { createNamespace, k, kOk } from '../cluster/cluster-kit.js';

interface FakePod {
  readonly name: string;
  readonly metrics: RuntimeMetrics;
  readonly server: http.Server;
  target: string;
}

const API = '/apis/custom.metrics.k8s.io/v1beta1';
const LATENCY = 'modeldeploy_request_duration_seconds_p95';
/** The route label prefix of the runtime's gRPC methods (Open Inference Protocol V2). */
const GRPC_SERVICE = '/inference.GRPCInferenceService';
const INFLIGHT = 'modeldeploy_inflight_requests';
/** Short, so the test needs seconds of samples; the chart's default is 1m. */
const WINDOW = '5s';
const POD_NAMES = ['busy', 'idle', 'fresh'] as const;

/** A runtime metrics registry served on loopback, labelled like a scraped pod. */
async function fakePod(namespace: string, name: string): Promise<FakePod> {
  const metrics = createMetrics({ model: 'iris', version: '1', track: 'stable' });
  metrics.registry.setDefaultLabels({
    model: 'iris',
    version: '1',
    track: 'stable',
    namespace,
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

/** The pods the series name, in the cluster, so the adapter's pod lister finds them. */
function clusterPod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'adapter-rules' } },
    spec: {
      nodeName: inject('nodeNames')[0],
      containers: [{ name: 'runtime', image: 'modeldeploy/runtime:never-pulled' }],
    },
  });
}

/** The adapter's self-signed serving certificate (and its CA), as it wrote them. */
function adapterCa(certDir: string): Buffer {
  const crt = readdirSync(certDir).find((f) => f.endsWith('.crt'));
  if (crt === undefined) throw new Error(`prometheus-adapter wrote no certificate to ${certDir}`);
  return readFileSync(join(certDir, crt));
}

/** Pods metric values per pod, as the adapter answers them to the cluster's admin. */
async function podsMetric(
  creds: ApiCredentials,
  namespace: string,
  metric: string,
): Promise<Record<string, number>> {
  const res = await apiRequest(creds, 'GET', `${API}/namespaces/${namespace}/pods/*/${metric}`);
  if (res.status !== 200) throw new Error(`${metric}: ${res.status} ${res.body.slice(0, 300)}`);
  const list = JSON.parse(res.body) as {
    items?: { describedObject: { name: string }; value: string }[];
  };
  return Object.fromEntries(
    (list.items ?? []).map((i) => [i.describedObject.name, quantityToNumber(i.value)]),
  );
}

describe('prometheus-adapter evaluates the chart rules on a real Prometheus', () => {
  let namespace = '';
  let prometheus: PrometheusServer | undefined;
  let traffic: NodeJS.Timeout | undefined;
  let supervisor: ProcessSupervisor | undefined;
  let creds: ApiCredentials | undefined;
  const tempDir = mkdtempSync(join(tmpdir(), 'modeldeploy-adapter-rules-'));
  const pods: FakePod[] = [];

  beforeAll(async () => {
    namespace = await createNamespace('adapter-rules');
    for (const name of POD_NAMES) {
      await kOk(['apply', '-n', namespace, '-f', '-'], clusterPod(name));
      pods.push(await fakePod(namespace, name));
    }
    // busy: serves inference at 18 ms and is probed every few ms; idle: served one request
    // long ago; fresh: has only been probed.
    const [busy, idle, fresh] = pods as [FakePod, FakePod, FakePod];
    idle.metrics.requestDuration.observe({ route: '/predict', code: '200', protocol: 'http' }, 0.3);
    busy.metrics.inflight.set(3);
    // Bounded: stops by itself after 150 s even if afterAll never runs.
    const until = Date.now() + 150_000;
    traffic = setInterval(() => {
      if (Date.now() > until) return clearInterval(traffic);
      const infer = { code: '200', protocol: 'http' } as const;
      busy.metrics.requestDuration.observe({ ...infer, route: '/v2/models/:name/infer' }, 0.018);
      busy.metrics.requestDuration.observe(
        { route: `${GRPC_SERVICE}/ModelInfer`, code: '200', protocol: 'grpc' },
        0.018,
      );
      // 50 probe and scrape answers per inference request over REST and gRPC: counted, they
      // would be over 95 % of the samples and the p95 would be theirs.
      for (const pod of pods) {
        for (const route of ['/ready', '/health', '/v2/health/ready', '/metrics']) {
          for (let i = 0; i < 10; i++)
            pod.metrics.requestDuration.observe({ route, code: '200', protocol: 'http' }, 0.0002);
        }
        for (const method of ['ServerLive', 'ServerReady', 'ModelReady']) {
          for (let i = 0; i < 20; i++)
            pod.metrics.requestDuration.observe(
              { route: `${GRPC_SERVICE}/${method}`, code: '200', protocol: 'grpc' },
              0.0002,
            );
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

    const rulesFile = join(tempDir, 'adapter-rules.yaml');
    writeFileSync(rulesFile, await chartAdapterRules(inject('binDir'), WINDOW));
    const certDir = join(tempDir, 'certs');
    supervisor = new ProcessSupervisor(tempDir);
    const started = await startAdapterProcess({
      supervisor,
      binary: await ensureAdapter(),
      address: '127.0.0.1',
      kubeconfigPath: inject('kubeconfigPath'),
      prometheusUrl: prometheus.url,
      rulesFile,
      certDir,
      logDir: tempDir,
      relistInterval: '1s',
      log: () => undefined,
    });
    creds = {
      ...parseKubeconfig(inject('kubeconfig')),
      server: `https://127.0.0.1:${started.port}`,
      caData: adapterCa(certDir),
    };
    // Until the adapter's relist saw every pod's series and rate() has samples inside the
    // window for each: the in-flight gauge of all three and the latency of busy and idle.
    const ready = creds;
    await waitFor(
      'the adapter to publish both metrics for the pods',
      async () => {
        const inflight = await podsMetric(ready, namespace, INFLIGHT).catch(() => ({}));
        const latency = await podsMetric(ready, namespace, LATENCY).catch(() => ({}));
        return Object.keys(inflight).length === 3 && 'busy' in latency && 'idle' in latency;
      },
      60_000,
    ).catch((error: unknown) => {
      throw new Error(
        `${(error as Error).message}\nadapter log:\n${logTail(started.component.logFile, 40)}`,
      );
    });
  });

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await supervisor?.stopAll();
    await prometheus?.stop();
    await Promise.all(
      pods.map((p) => new Promise<void>((resolve) => p.server.close(() => resolve()))),
    );
    if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
    rmSync(tempDir, { recursive: true, force: true });
  });

  it("the adapter lists both metrics the operator's HPAs ask for, as pods metrics", async () => {
    if (creds === undefined) throw new Error('no adapter');
    const res = await apiRequest(creds, 'GET', API);
    expect(res.status, res.body).toBe(200);
    const names = (JSON.parse(res.body) as { resources: { name: string }[] }).resources.map(
      (r) => r.name,
    );
    expect(names).toContain(`pods/${LATENCY}`);
    expect(names).toContain(`pods/${INFLIGHT}`);
  });

  it('latency p95: per-pod seconds from inference routes only, 0 when idle, absent when never used', async () => {
    if (creds === undefined) throw new Error('no adapter');
    const values = await podsMetric(creds, namespace, LATENCY);
    expect(Object.keys(values).sort()).toEqual(['busy', 'idle']);
    // 18 ms falls in the (15 ms, 20 ms] bucket; with the probes (50 per inference request)
    // counted it would be below 1 ms, and fresh (only probed) would have a p95.
    expect(values['busy']).toBeGreaterThan(0.015);
    expect(values['busy']).toBeLessThanOrEqual(0.02);
    expect(values['idle']).toBe(0);
  });

  it('in-flight requests: the gauge averaged over the window', async () => {
    if (creds === undefined) throw new Error('no adapter');
    expect(await podsMetric(creds, namespace, INFLIGHT)).toEqual({ busy: 3, idle: 0, fresh: 0 });
  });
});
