/**
 * The Prometheus and prometheus-adapter `npm start` runs beside its cluster, so the
 * examples show canary analysis and latency autoscaling, not a rollout that waits forever
 * on an unreachable Prometheus and an HPA reading <unknown>. It is the test suites' own
 * chain (test/cluster/metrics-chain.ts), started the same way:
 *
 * - Prometheus runs on the host (127.0.0.1, a free port) with Kubernetes service discovery
 *   of the pods (the docs/autoscaling.md `kubernetes-pods` job) and scrapes the pods of the
 *   real node at their pod IPs, which the host reaches through the node's bridge.
 * - The operator runs on the host too and queries that Prometheus directly; `npm start`
 *   puts its URL in the operator's allow-list and in the examples' analysis.
 * - prometheus-adapter listens on the real node's bridge address and is registered as
 *   v1beta1.custom.metrics.k8s.io, so the HPA controller reads the runtime's latency.
 *
 * On kwok fake nodes nothing of this runs: their pods load no model, serve no /metrics and
 * have made-up IPs, so there is nothing to scrape (and no bridge for the adapter).
 */
import { startMetricsChain, type MetricsChain } from '../../test/cluster/metrics-chain.js';

export interface MetricsStackOptions {
  readonly kubeconfigPath: string;
  readonly kubeconfig: string;
  readonly binDir: string;
  /** The real node: Prometheus keeps its pods, the adapter listens on its bridge address. */
  readonly node: { readonly name: string; readonly ip: string };
  /** Namespaces whose annotated pods are scraped. */
  readonly namespaces: readonly string[];
  /** Where Prometheus' and the adapter's logs go (default: the chain's temp dir, removed on stop). */
  readonly logDir?: string;
  readonly log: (line: string) => void;
}

/** Scrape often enough that a 30 s analysis interval sees a dozen samples. */
const SCRAPE_SECONDS = 5;

/**
 * Starts Prometheus and the adapter and registers the custom metrics API; on any failure
 * whatever was started is stopped again before the error is thrown.
 */
export async function startMetricsStack(opts: MetricsStackOptions): Promise<MetricsChain> {
  const chain = await startMetricsChain({
    kubeconfigPath: opts.kubeconfigPath,
    kubeconfig: opts.kubeconfig,
    binDir: opts.binDir,
    adapterAddress: opts.node.ip,
    namespaces: opts.namespaces,
    nodeName: opts.node.name,
    scrapeIntervalSeconds: SCRAPE_SECONDS,
    ...(opts.logDir !== undefined ? { logDir: opts.logDir } : {}),
    log: opts.log,
  });
  try {
    await chain.register();
  } catch (error) {
    await chain.stop().catch(() => undefined);
    throw error;
  }
  return chain;
}
