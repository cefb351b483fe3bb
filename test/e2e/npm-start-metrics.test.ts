/**
 * What `npm start` adds on a real node so examples/full.yaml shows the whole product
 * (scripts/local-up/): its own Prometheus and prometheus-adapter (metrics-stack.ts), the
 * example's canary analysis pointed at that Prometheus (example-objects.ts) and a gentle
 * prediction stream to `scorer` (demo-traffic.ts). Run here against the e2e cluster with
 * the same functions `npm start` calls, in a namespace of this suite, and checked from the
 * outside: Prometheus scraped the runtime pods, the adapter answers the custom metrics API
 * the HPA reads, and the operator's analysis queried Prometheus and passed.
 *
 * Before these, `npm start` allowed only http://127.0.0.1:9090, where nothing listens: the
 * analysis stayed Inconclusive ("unreachable") and the HPA read <unknown>.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DemoTraffic } from '../../scripts/local-up/demo-traffic.js';
import {
  pointAnalysisAt,
  readExampleObjects,
  type ExampleObject,
} from '../../scripts/local-up/example-objects.js';
import { startMetricsStack } from '../../scripts/local-up/metrics-stack.js';
import { SHOWCASE_EXAMPLE, startShowcaseTraffic } from '../../scripts/local-up/showcase.js';
import { pollFor, readCanary, readHpaMetric } from '../../scripts/local-up/showcase-progress.js';
import { parseKubeconfig } from '../cluster/kubeconfig.js';
import { CUSTOM_METRICS_API_SERVICE, type MetricsChain } from '../cluster/metrics-chain.js';
import { REAL_NODE_IP } from '../cluster/real-node.js';
import { OperatorProcess } from '../support/operator-process.js';
import { api, createNamespace, eventually, k, kOk } from './e2e-kit.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const skipReason = inject('e2eSkipReason');
const NAME = SHOWCASE_EXAMPLE.name;

/** This cluster also has a kwok node; npm start's has only the real one. */
function pinToRealNode(objects: readonly ExampleObject[]): ExampleObject[] {
  return objects.map((o) => {
    if (o['kind'] !== 'ModelDeployment') return o;
    const spec = o['spec'] as { runtime?: { nodeSelector?: Record<string, string> } };
    spec.runtime = {
      ...spec.runtime,
      nodeSelector: {
        ...spec.runtime?.nodeSelector,
        'kubernetes.io/hostname': inject('realNodeName'),
      },
    };
    return o;
  });
}

describe.skipIf(skipReason !== '')(
  `npm start's Prometheus and prometheus-adapter with examples/full.yaml${skipReason === '' ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    const creds = parseKubeconfig(inject('kubeconfig'));
    let namespace = '';
    let chain: MetricsChain | undefined;
    let operator: OperatorProcess | undefined;
    let traffic: DemoTraffic | undefined;

    beforeAll(async () => {
      namespace = await createNamespace('npm-start');
      chain = await startMetricsStack({
        kubeconfigPath: inject('kubeconfigPath'),
        kubeconfig: inject('kubeconfig'),
        binDir: inject('binDir'),
        node: { name: inject('realNodeName'), ip: REAL_NODE_IP },
        namespaces: [namespace],
        log: (line) => process.stderr.write(`[npm-start-metrics] ${line}\n`),
      });
      operator = await OperatorProcess.start({
        kubeconfigPath: inject('kubeconfigPath'),
        namespaces: [namespace],
        env: {
          ANALYSIS_PROMETHEUS_URLS: chain.prometheusUrl,
          RUNTIME_IMAGE: inject('e2eRuntimeImage'),
        },
      });
      const full = readExampleObjects(readFileSync(`${REPO}examples/full.yaml`, 'utf8'));
      const { objects, changed } = pointAnalysisAt(full, chain.prometheusUrl);
      expect(changed).toEqual([NAME]);
      await kOk(
        ['apply', '-n', namespace, '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pinToRealNode(objects) }),
      );
      await eventually(
        `${NAME} Ready on the real node`,
        async () => {
          const res = await k([
            'get',
            'mdep',
            NAME,
            '-n',
            namespace,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ]);
          return res.stdout.trim() === 'True' ? true : undefined;
        },
        240_000,
        2_000,
      );
      traffic = await startShowcaseTraffic({
        creds,
        namespace,
        repo: REPO,
        say: () => undefined,
        promotionWaitMs: 0,
      });
      // A cold machine builds prometheus-adapter and Prometheus in startMetricsStack.
    }, 1_500_000);

    afterAll(async () => {
      const sent = await traffic?.stop();
      if (sent !== undefined)
        process.stderr.write(
          `[npm-start-metrics] predictions ${sent.ok} ok, ${sent.failed} failed\n`,
        );
      await operator?.stop();
      if (namespace !== '') await k(['delete', 'namespace', namespace, '--wait=false']);
      await chain?.stop();
    });

    it('Prometheus discovers the scorer pods on the real node and scrapes their /metrics', async () => {
      const up = await eventually(
        'Prometheus to scrape the stable pods of scorer',
        async () => {
          const samples = await chain!.query(`up{namespace="${namespace}"}`);
          return samples.filter((s) => s.value === 1).length >= 2 ? samples : undefined;
        },
        120_000,
        2_000,
      );
      expect(up.every((s) => s.labels['pod']?.startsWith(`${NAME}-`))).toBe(true);
      const requests = await eventually(
        'the prediction stream to show in modeldeploy_requests_total',
        async () => {
          const s = await chain!.query(`sum(modeldeploy_requests_total{namespace="${namespace}"})`);
          return (s[0]?.value ?? 0) > 0 ? s[0]?.value : undefined;
        },
        120_000,
        2_000,
      );
      expect(requests).toBeGreaterThan(0);
    }, 300_000);

    it("the adapter serves the runtime's p95 as a custom metric and scorer's HPA reads it", async () => {
      const items = await eventually(
        'custom.metrics.k8s.io to list the p95 of the scorer pods',
        async () => {
          const list = await chain!.podsMetric(
            namespace,
            'modeldeploy_request_duration_seconds_p95',
          );
          return list.length > 0 ? list : undefined;
        },
        180_000,
        2_000,
      );
      expect(items.every((i) => Number.isFinite(i.numeric))).toBe(true);
      const hpa = await pollFor(() => readHpaMetric(creds, namespace, NAME), 180_000);
      expect(hpa, `HPA ${NAME} never reported a current metric`).toBeDefined();
      expect(hpa?.metric).toBe('modeldeploy_request_duration_seconds_p95');
    }, 420_000);

    it("the operator's canary analysis queries that Prometheus and passes", async () => {
      const passed = await pollFor(async () => {
        const reading = await readCanary(creds, namespace, NAME, new Date());
        return reading?.lastAnalysis?.verdict === 'Pass' ? reading : undefined;
      }, 300_000);
      const last = await readCanary(creds, namespace, NAME, new Date());
      expect(passed, `no passing analysis; last: ${JSON.stringify(last)}`).toBeDefined();
      expect(passed?.lastAnalysis?.message).toMatch(/error rate/);
      // Promotion follows once the pauses ahead are over; the estimate is bounded by them.
      if (passed?.eta.kind === 'waiting')
        expect(passed.eta.atLeastSeconds).toBeLessThanOrEqual(180);
      else expect(passed?.eta.kind).toBe('promoted');
    }, 420_000);

    it("Ctrl-C clean-up: stop() removes the APIService and the chain's files and ends Prometheus", async () => {
      const c = chain!;
      const chainDir = dirname(c.logDir);
      expect(existsSync(chainDir)).toBe(true);
      await c.stop();
      const apiService = await api(
        'GET',
        `/apis/apiregistration.k8s.io/v1/apiservices/${CUSTOM_METRICS_API_SERVICE}`,
      );
      expect(apiService.status).toBe(404);
      // ProcessSupervisor removes the chain's temp dir (Prometheus' TSDB) when it stops.
      expect(existsSync(chainDir), `${chainDir} (Prometheus' TSDB) is left behind`).toBe(false);
      await expect(fetch(`${c.prometheusUrl}/-/ready`)).rejects.toThrow();
    });
  },
);
