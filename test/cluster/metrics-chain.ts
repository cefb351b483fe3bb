/**
 * The custom-metrics chain of docs/autoscaling.md, for real, beside a harness cluster:
 *
 *   runtime pods ──/metrics──▶ Prometheus ──PromQL──▶ prometheus-adapter ──▶ custom.metrics.k8s.io ──▶ HPA
 *
 * - Prometheus (built by build-prometheus.sh with its Kubernetes service discovery, which
 *   Debian's package lacks) runs as our own process on 127.0.0.1, with the `kubernetes-pods`
 *   scrape job docs/autoscaling.md tells users about: Kubernetes service discovery (role
 *   pod, through the admin kubeconfig) keeping pods annotated prometheus.io/scrape=true,
 *   port and path from the annotations, and `namespace` and `pod` labels. Two filters are
 *   added for this machine only: the namespaces the suite names and pods of the real node
 *   (kwok's fake pods have made-up IPs that must never be contacted).
 * - prometheus-adapter (built by build-adapter.sh) runs as our own process with the chart's
 *   rules (`helm template` of charts/modeldeploy with prometheusAdapter.rules.enabled), so
 *   the suite proves exactly what the chart ships.
 * - The APIService v1beta1.custom.metrics.k8s.io points at a selector-less Service with a
 *   hand-made EndpointSlice. The harness runs kube-apiserver with
 *   --enable-aggregator-routing=true, so the aggregator dials the EndpointSlice's address
 *   directly (no ClusterIP, no kube-proxy). Endpoint addresses may not be loopback
 *   (validation refuses 127.0.0.0/8), so the adapter listens on a non-loopback address of
 *   an interface the harness itself created: the real node's bridge address (10.245.0.1).
 *   Its serving certificate is self-signed (--cert-dir) and the APIService says
 *   insecureSkipTLSVerify, as many adapter installs do.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helmTemplate, parseManifests } from '../support/helm-chart.js';
import { apiRequest, type ApiResponse } from './api-client.js';
import { parseKubeconfig, type ApiCredentials } from './kubeconfig.js';
import { startOnFreePort } from './ports.js';
import { logTail, ProcessSupervisor, type Component } from './processes.js';
import { waitFor } from './readiness.js';

export const BUILD_ADAPTER_SCRIPT = new URL('./build-adapter.sh', import.meta.url).pathname;
export const BUILD_PROMETHEUS_SCRIPT = new URL('./build-prometheus.sh', import.meta.url).pathname;
export const CUSTOM_METRICS_API_SERVICE = 'v1beta1.custom.metrics.k8s.io';
/** Namespace of the adapter's Service and EndpointSlice (made and removed by the chain). */
export const ADAPTER_NAMESPACE = 'modeldeploy-custom-metrics';
const ADAPTER_SERVICE = 'prometheus-adapter';

type Log = (line: string) => void;

export interface MetricsChainOptions {
  /** Admin kubeconfig (file and text) of the cluster. */
  readonly kubeconfigPath: string;
  readonly kubeconfig: string;
  /** The cluster tools' bin dir (helm). */
  readonly binDir: string;
  /**
   * Non-loopback address of an interface the harness created, where the adapter listens
   * and which its EndpointSlice names (the real node's IP).
   */
  readonly adapterAddress: string;
  /** Namespaces whose annotated pods Prometheus scrapes. */
  readonly namespaces: readonly string[];
  /** Only pods scheduled to this node are scraped (the real node). */
  readonly nodeName: string;
  /** Prometheus scrape interval (default 2 s). */
  readonly scrapeIntervalSeconds?: number;
  /** The chart's prometheusAdapter.rules.window (default: the chart's own, 1m). */
  readonly ruleWindow?: string;
  /** The adapter's --metrics-relist-interval (default 5s; the adapter's own is 10m). */
  readonly relistInterval?: string;
  /** Keep Prometheus' and the adapter's logs here (default: the chain's temp dir). */
  readonly logDir?: string;
  readonly log?: Log;
}

export interface MetricsChain {
  readonly prometheusUrl: string;
  /** https://<adapterAddress>:<port> */
  readonly adapterUrl: string;
  /** The adapter's --config: the chart's rules as rendered by helm. */
  readonly rulesConfig: string;
  readonly logDir: string;
  /** Create Service, EndpointSlice and APIService; resolves when the APIService is Available. */
  register(): Promise<void>;
  /** Delete the APIService (Service and EndpointSlice stay); resolves when it is gone. */
  unregister(): Promise<void>;
  /** GET /apis/custom.metrics.k8s.io/v1beta1/namespaces/<ns>/pods/*\/<metric>. */
  podsMetric(namespace: string, metric: string): Promise<PodMetricValue[]>;
  /** An instant PromQL query against the chain's Prometheus. */
  query(promql: string): Promise<PromSample[]>;
  /** The tail of the adapter's log, for failure messages. */
  adapterLog(lines?: number): string;
  /** Unregister, delete the namespace, stop both processes, remove the temp dir. */
  stop(): Promise<void>;
}

export interface PodMetricValue {
  readonly pod: string;
  /** The value as the API returns it (a quantity, e.g. "23m"). */
  readonly value: string;
  /** The same as a number. */
  readonly numeric: number;
  readonly timestamp: string;
}

export interface PromSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Run a build script (a no-op on a warm cache); resolves with the dir it prints last. */
function runBuildScript(script: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last !== '') resolve(last);
      else reject(new Error(`${script} exited with ${code}; its log is above`));
    });
  });
}

/** build-adapter.sh (a no-op on a warm cache); resolves with the adapter binary path. */
export async function ensureAdapter(): Promise<string> {
  return join(await runBuildScript(BUILD_ADAPTER_SCRIPT), 'bin', 'adapter');
}

/**
 * build-prometheus.sh: Prometheus with its Kubernetes SD (Debian's has none); resolves with
 * the binary path.
 */
export async function ensurePrometheus(): Promise<string> {
  return join(await runBuildScript(BUILD_PROMETHEUS_SCRIPT), 'bin', 'prometheus');
}

/** A Kubernetes quantity ("23m", "1500m", "2", "1.5k") as a number. */
export function quantityToNumber(q: string): number {
  const m = /^([0-9.eE+-]+)([a-zA-Z]*)$/.exec(q.trim());
  if (m === null) return Number.NaN;
  const n = Number(m[1]);
  const suffixes: Record<string, number> = {
    '': 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
  };
  const factor = suffixes[m[2] ?? ''];
  return factor === undefined ? Number.NaN : n * factor;
}

/** The `config.yaml` of the chart's prometheus-adapter rules ConfigMap. */
export async function chartAdapterRules(binDir: string, window?: string): Promise<string> {
  const rules: Record<string, unknown> = { enabled: true };
  if (window !== undefined) rules['window'] = window;
  const objs = parseManifests(
    await helmTemplate(binDir, {
      values: { prometheusAdapter: { rules } },
      showOnly: ['templates/prometheus-adapter-rules.yaml'],
    }),
  );
  const cm = objs.find((o) => o.kind === 'ConfigMap') as
    { data?: Record<string, string> } | undefined;
  const config = cm?.data?.['config.yaml'];
  if (config === undefined) throw new Error('the chart rendered no prometheus-adapter rules');
  const parsed = parse(config) as { rules?: unknown[] };
  if (!Array.isArray(parsed.rules) || parsed.rules.length === 0) {
    throw new Error('the chart rendered prometheus-adapter rules without a rules list');
  }
  return config;
}

/** The `kubernetes-pods` job of docs/autoscaling.md, plus this machine's two filters. */
export function prometheusConfig(opts: {
  readonly kubeconfigPath: string;
  readonly namespaces: readonly string[];
  readonly nodeName: string;
  readonly scrapeIntervalSeconds: number;
}): string {
  const interval = `${opts.scrapeIntervalSeconds}s`;
  const q = (s: string): string => JSON.stringify(s);
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: kubernetes-pods',
    '    kubernetes_sd_configs:',
    '      - role: pod',
    `        kubeconfig_file: ${q(opts.kubeconfigPath)}`,
    '        namespaces:',
    `          names: [${opts.namespaces.map(q).join(', ')}]`,
    '    relabel_configs:',
    '      # This machine only: pods of the real node (kwok pods have fake IPs).',
    '      - source_labels: [__meta_kubernetes_pod_node_name]',
    '        action: keep',
    `        regex: ${q(opts.nodeName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}`,
    '      # The usual kubernetes-pods job from here on.',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]',
    '        action: keep',
    '        regex: "true"',
    '      - source_labels: [__meta_kubernetes_pod_phase]',
    '        action: keep',
    '        regex: Running',
    '      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]',
    '        action: replace',
    '        target_label: __metrics_path__',
    '        regex: (.+)',
    '      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]',
    '        action: replace',
    '        regex: ([^:]+)(?::\\d+)?;(\\d+)',
    '        replacement: $1:$2',
    '        target_label: __address__',
    '      - source_labels: [__meta_kubernetes_namespace]',
    '        target_label: namespace',
    '      - source_labels: [__meta_kubernetes_pod_name]',
    '        target_label: pod',
    '',
  ].join('\n');
}

async function apiOk(
  creds: ApiCredentials,
  method: string,
  path: string,
  body?: unknown,
  allowed: readonly number[] = [],
): Promise<ApiResponse> {
  const res = await apiRequest(creds, method, path, body, 30_000);
  if ((res.status < 200 || res.status >= 300) && !allowed.includes(res.status)) {
    throw new Error(`${method} ${path} answered ${res.status}: ${res.body.slice(0, 500)}`);
  }
  return res;
}

interface ApiServiceShape {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** What every step of the chain reads: its options, directories and process supervisor. */
interface ChainContext {
  readonly opts: MetricsChainOptions;
  readonly log: Log;
  readonly creds: ApiCredentials;
  readonly tempDir: string;
  readonly logDir: string;
  readonly supervisor: ProcessSupervisor;
  /** The started processes, in start order; the waits on the API watch them for early exits. */
  readonly components: Component[];
}

/** A process of the chain that answers on its port. */
interface ChainServer {
  readonly url: string;
  readonly port: number;
  readonly component: Component;
}

const API_SERVICES = '/apis/apiregistration.k8s.io/v1/apiservices';

export interface AdapterStart {
  readonly supervisor: ProcessSupervisor;
  readonly binary: string;
  /** Where it listens (its self-signed certificate also names 127.0.0.1). */
  readonly address: string;
  /** Lister, authentication and authorization all go to the cluster as its admin. */
  readonly kubeconfigPath: string;
  readonly prometheusUrl: string;
  /** The adapter's --config (the chart's rules). */
  readonly rulesFile: string;
  /** --cert-dir: the adapter writes its self-signed serving certificate here. */
  readonly certDir: string;
  readonly logDir: string;
  /** --metrics-relist-interval (the adapter's own default is 10m). */
  readonly relistInterval: string;
  readonly log: Log;
}

/**
 * prometheus-adapter as our own process on a free port (another port when one is taken in
 * between); resolves once /healthz answers.
 */
export function startAdapterProcess(
  opts: AdapterStart,
): Promise<{ readonly port: number; readonly component: Component }> {
  return startOnFreePort(
    'prometheus-adapter',
    async (port) => {
      const component = opts.supervisor.start({
        name: 'prometheus-adapter',
        binary: opts.binary,
        args: [
          `--secure-port=${port}`,
          `--bind-address=${opts.address}`,
          `--cert-dir=${opts.certDir}`,
          `--lister-kubeconfig=${opts.kubeconfigPath}`,
          `--authentication-kubeconfig=${opts.kubeconfigPath}`,
          `--authorization-kubeconfig=${opts.kubeconfigPath}`,
          `--prometheus-url=${opts.prometheusUrl}/`,
          `--config=${opts.rulesFile}`,
          `--metrics-relist-interval=${opts.relistInterval}`,
          '--v=2',
        ],
        logFile: join(opts.logDir, `prometheus-adapter-${port}.log`),
      });
      await waitFor(
        'prometheus-adapter /healthz',
        () => tlsHealthy(`https://${opts.address}:${port}/healthz`),
        { timeoutMs: 60_000, watch: [component] },
      );
      return { port, component };
    },
    opts.log,
  );
}

/** Start Prometheus and the adapter; call register() to plug the adapter into the API. */
export async function startMetricsChain(opts: MetricsChainOptions): Promise<MetricsChain> {
  const log: Log = opts.log ?? ((): void => undefined);
  const creds = parseKubeconfig(opts.kubeconfig);
  // One build at a time on a 2-core machine: the adapter, then Prometheus.
  const adapterBin = await ensureAdapter();
  const promBin = await ensurePrometheus();
  const rulesConfig = await chartAdapterRules(opts.binDir, opts.ruleWindow);
  const tempDir = mkdtempSync(join(tmpdir(), 'modeldeploy-metrics-chain-'));
  const logDir = opts.logDir ?? join(tempDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(join(tempDir, 'certs'));
  const supervisor = new ProcessSupervisor(tempDir);
  const ctx: ChainContext = { opts, log, creds, tempDir, logDir, supervisor, components: [] };
  let stopped = false;
  const stopProcesses = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await supervisor.stopAll();
  };
  try {
    const prometheus = await startPrometheus(ctx, promBin);
    const adapter = await startAdapter(ctx, {
      bin: adapterBin,
      prometheusUrl: prometheus.url,
      rulesConfig,
    });
    return chainHandle({ ctx, prometheus, adapter, rulesConfig, stopProcesses });
  } catch (error) {
    await stopProcesses();
    throw error;
  }
}

/** Prometheus with the `kubernetes-pods` job; resolves once /-/ready answers. */
async function startPrometheus(ctx: ChainContext, bin: string): Promise<ChainServer> {
  const { opts, tempDir, supervisor } = ctx;
  const scrape = opts.scrapeIntervalSeconds ?? 2;
  const configFile = join(tempDir, 'prometheus.yml');
  writeFileSync(
    configFile,
    prometheusConfig({
      kubeconfigPath: opts.kubeconfigPath,
      namespaces: opts.namespaces,
      nodeName: opts.nodeName,
      scrapeIntervalSeconds: scrape,
    }),
  );
  // Each component gets its port only when it starts, and another one if a process took
  // it in between (a crashed attempt is not watched afterwards: it is not in components).
  const { port, component } = await startOnFreePort(
    'prometheus',
    async (port) => {
      const component = supervisor.start({
        name: 'prometheus',
        binary: bin,
        args: [
          `--config.file=${configFile}`,
          `--web.listen-address=127.0.0.1:${port}`,
          `--storage.tsdb.path=${join(tempDir, `tsdb-${port}`)}`,
          '--log.level=info',
        ],
        logFile: join(ctx.logDir, `prometheus-${port}.log`),
      });
      await waitFor('prometheus /-/ready', () => httpOk(`http://127.0.0.1:${port}/-/ready`), {
        timeoutMs: 30_000,
        watch: [component],
      });
      return { port, component };
    },
    ctx.log,
  );
  ctx.components.push(component);
  const url = `http://127.0.0.1:${port}`;
  ctx.log(`prometheus ${url} (scrape every ${scrape} s, pods in ${opts.namespaces.join(', ')})`);
  return { url, port, component };
}

/** Whether a plain GET answers 2xx; false when nothing listens yet. */
async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

/** prometheus-adapter with the chart's rules, reading from Prometheus; resolves once /healthz answers. */
async function startAdapter(
  ctx: ChainContext,
  adapterOpts: {
    readonly bin: string;
    readonly prometheusUrl: string;
    readonly rulesConfig: string;
  },
): Promise<ChainServer> {
  const { opts, tempDir } = ctx;
  const rulesFile = join(tempDir, 'adapter-rules.yaml');
  writeFileSync(rulesFile, adapterOpts.rulesConfig);
  const { port, component } = await startAdapterProcess({
    supervisor: ctx.supervisor,
    binary: adapterOpts.bin,
    address: opts.adapterAddress,
    kubeconfigPath: opts.kubeconfigPath,
    prometheusUrl: adapterOpts.prometheusUrl,
    rulesFile,
    certDir: join(tempDir, 'certs'),
    logDir: ctx.logDir,
    relistInterval: opts.relistInterval ?? '5s',
    log: ctx.log,
  });
  ctx.components.push(component);
  const url = `https://${opts.adapterAddress}:${port}`;
  ctx.log(`prometheus-adapter ${url} with the chart's rules (${rulesFile})`);
  return { url, port, component };
}

/** The Namespace, selector-less Service and EndpointSlice that lead to the adapter. */
async function createAdapterService(ctx: ChainContext, adapterPort: number): Promise<void> {
  const { creds } = ctx;
  await apiOk(
    creds,
    'POST',
    '/api/v1/namespaces',
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ADAPTER_NAMESPACE },
    },
    [409],
  );
  await apiOk(
    creds,
    'POST',
    `/api/v1/namespaces/${ADAPTER_NAMESPACE}/services`,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: ADAPTER_SERVICE },
      // No selector: the EndpointSlice below is ours, not the EndpointSlice controller's.
      spec: { ports: [{ name: 'https', port: 443, targetPort: adapterPort, protocol: 'TCP' }] },
    },
    [409],
  );
  await apiOk(
    creds,
    'POST',
    `/apis/discovery.k8s.io/v1/namespaces/${ADAPTER_NAMESPACE}/endpointslices`,
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: `${ADAPTER_SERVICE}-host`,
        labels: {
          'kubernetes.io/service-name': ADAPTER_SERVICE,
          'endpointslice.kubernetes.io/managed-by': 'modeldeploy-test-harness',
        },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ctx.opts.adapterAddress], conditions: { ready: true } }],
      ports: [{ name: 'https', port: adapterPort, protocol: 'TCP' }],
    },
    [409],
  );
}

/** MetricsChain.register(): the Service to the adapter, then the APIService, until Available. */
async function registerAdapter(ctx: ChainContext, adapter: ChainServer): Promise<void> {
  const { creds } = ctx;
  const t0 = Date.now();
  await createAdapterService(ctx, adapter.port);
  await apiOk(
    creds,
    'POST',
    API_SERVICES,
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: CUSTOM_METRICS_API_SERVICE },
      spec: {
        group: 'custom.metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: ADAPTER_NAMESPACE, name: ADAPTER_SERVICE, port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
    [409],
  );
  let last = '';
  await waitFor(
    `APIService ${CUSTOM_METRICS_API_SERVICE} Available`,
    async () => {
      const res = await apiRequest(creds, 'GET', `${API_SERVICES}/${CUSTOM_METRICS_API_SERVICE}`);
      if (res.status !== 200) return false;
      const available = (JSON.parse(res.body) as ApiServiceShape).status?.conditions?.find(
        (c) => c.type === 'Available',
      );
      last = `${available?.status}/${available?.reason}: ${available?.message}`;
      return available?.status === 'True';
    },
    { timeoutMs: 60_000, watch: ctx.components },
  ).catch((error: unknown) => {
    throw new Error(
      `${(error as Error).message}; last condition ${last}\nadapter log:\n${logTail(adapter.component.logFile)}`,
    );
  });
  ctx.log(`APIService ${CUSTOM_METRICS_API_SERVICE} Available after ${Date.now() - t0} ms`);
}

/** MetricsChain.unregister(): delete the APIService and wait until it is gone. */
async function unregisterAdapter(ctx: ChainContext): Promise<void> {
  const path = `${API_SERVICES}/${CUSTOM_METRICS_API_SERVICE}`;
  await apiOk(ctx.creds, 'DELETE', path, undefined, [404]);
  await waitFor(
    `APIService ${CUSTOM_METRICS_API_SERVICE} gone`,
    async () => (await apiRequest(ctx.creds, 'GET', path)).status === 404,
    { timeoutMs: 30_000, watch: ctx.components },
  );
  ctx.log(`APIService ${CUSTOM_METRICS_API_SERVICE} deleted`);
}

/** GET /apis/custom.metrics.k8s.io/v1beta1/namespaces/<ns>/pods/*\/<metric>. */
async function podsMetric(
  creds: ApiCredentials,
  query: { readonly namespace: string; readonly metric: string },
): Promise<PodMetricValue[]> {
  const res = await apiOk(
    creds,
    'GET',
    `/apis/custom.metrics.k8s.io/v1beta1/namespaces/${query.namespace}/pods/*/${query.metric}`,
  );
  const list = JSON.parse(res.body) as {
    items?: { describedObject: { name: string }; value: string; timestamp: string }[];
  };
  return (list.items ?? []).map((i) => ({
    pod: i.describedObject.name,
    value: i.value,
    numeric: quantityToNumber(i.value),
    timestamp: i.timestamp,
  }));
}

/** An instant PromQL query. */
async function promQuery(prometheusUrl: string, promql: string): Promise<PromSample[]> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error}`);
  return (body.data?.result ?? []).map((r) => ({
    labels: r.metric,
    value: Number(r.value[1]),
  }));
}

/** The MetricsChain a started chain hands back. */
function chainHandle(started: {
  readonly ctx: ChainContext;
  readonly prometheus: ChainServer;
  readonly adapter: ChainServer;
  readonly rulesConfig: string;
  /** Stops both processes, once. */
  readonly stopProcesses: () => Promise<void>;
}): MetricsChain {
  const { ctx, prometheus, adapter } = started;
  const { creds } = ctx;
  return {
    prometheusUrl: prometheus.url,
    adapterUrl: adapter.url,
    rulesConfig: started.rulesConfig,
    logDir: ctx.logDir,
    register: () => registerAdapter(ctx, adapter),
    unregister: () => unregisterAdapter(ctx),
    podsMetric: (namespace, metric) => podsMetric(creds, { namespace, metric }),
    query: (promql) => promQuery(prometheus.url, promql),
    adapterLog: (lines = 40) => logTail(adapter.component.logFile, lines),
    async stop() {
      try {
        await apiOk(
          creds,
          'DELETE',
          `${API_SERVICES}/${CUSTOM_METRICS_API_SERVICE}`,
          undefined,
          [404],
        );
        await apiOk(creds, 'DELETE', `/api/v1/namespaces/${ADAPTER_NAMESPACE}`, undefined, [404]);
      } finally {
        await started.stopProcesses();
        ctx.log('metrics chain stopped');
      }
    },
  };
}

/** GET over TLS without verifying the self-signed certificate (health only, never data). */
function tlsHealthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    import('node:https')
      .then(({ get }) => {
        const req = get(url, { rejectUnauthorized: false, timeout: 2_000 }, (res) => {
          res.resume();
          // 401/403 also prove it serves; /healthz is normally open to anyone.
          resolve(res.statusCode !== undefined && res.statusCode < 500);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(false));
      })
      .catch(() => resolve(false));
  });
}
