/**
 * `npm start`: a local control plane (the test harness), the operator as its chart's
 * ServiceAccount would run it, examples/ applied, and the ModelDeployments' status and
 * events printed. The cluster stays up until Ctrl-C so a user can go on with kubectl.
 *
 * Where the machine allows it (root, scripts/node-setup.sh, writable cgroups, the images
 * of scripts/build-images.sh) the pods run on a REAL node (containerd, kubelet,
 * kube-proxy) and the run ends with a real prediction through a port-forward; otherwise
 * on kwok fake nodes, with the reason printed.
 *
 * On a real node it also starts Prometheus and prometheus-adapter (local-up/metrics-stack.ts)
 * and sends a gentle prediction stream to examples/full.yaml's scorer, so its canary is
 * judged by analysis and its latency HPA reads its metric.
 *
 *   npm start                  real node if possible, else kwok
 *   npm start -- --kwok        kwok fake nodes only
 *   npm start -- --real-node   real node or fail
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerImageExists } from '../test/cluster/docker.js';
import { startCluster, type Cluster } from '../test/cluster/harness.js';
import { realNodeSupport } from '../test/cluster/real-node.js';
import type { MetricsChain } from '../test/cluster/metrics-chain.js';
import { parseKubeconfig } from '../test/cluster/kubeconfig.js';
import { imageName } from '../test/support/image-tag.js';
import { OperatorProcess } from '../test/support/operator-process.js';
import type { DemoTraffic } from './local-up/demo-traffic.js';
import { pointAnalysisAt, readExampleObjects } from './local-up/example-objects.js';
import { portForward, predict, type Forward } from './local-up/port-forward.js';
import { readiness, READY_LINES_JSONPATH, routeNote } from './local-up/ready-lines.js';
import { parseStartArgs, START_USAGE } from './local-up/start-args.js';
import { startOnContext } from './local-up/context-up.js';
import { startMetricsStack } from './local-up/metrics-stack.js';
import {
  SHOWCASE_EXAMPLE,
  showAnalysisAndScaling,
  startShowcaseTraffic,
} from './local-up/showcase.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const NAMESPACE = 'default';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`==> ${what}`);
  try {
    const value = await run();
    say(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return value;
  } catch (err) {
    throw new Error(`step "${what}" failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

async function kubectl(cluster: Cluster, args: string[], stdin?: string): Promise<string> {
  const res = await cluster.kubectl(args, stdin);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout;
}

/** Waits until every example is Ready or waits only for a Gateway controller (ready-lines.ts). */
async function waitReady(cluster: Cluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await kubectl(cluster, [
      'get',
      'mdep',
      '-n',
      NAMESPACE,
      '-o',
      READY_LINES_JSONPATH,
    ]);
    const state = readiness(out);
    if (state.settled) {
      const note = routeNote(state.waitingForRoute);
      if (note !== undefined) say(`    ${note}`);
      return state.waitingForRoute.length === 0;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

/** The runtime image with every examples/models/*.onnx in /models (build-images.sh). */
const EXAMPLES_RUNTIME_IMAGE = imageName('runtime-examples');
/** The example a prediction is sent to at the end (examples/minimal.yaml). */
const PREDICT_EXAMPLE = 'iris-tiny';

/** Real node or kwok, and why. */
async function chooseNodes(args: {
  readonly kwok: boolean;
  readonly realNode: boolean;
}): Promise<{ real: boolean; why: string }> {
  if (args.kwok) return { real: false, why: '--kwok was given' };
  const support = realNodeSupport();
  let why = support.ok ? '' : support.reason;
  if (why === '' && !(await dockerImageExists(EXAMPLES_RUNTIME_IMAGE))) {
    why = `${EXAMPLES_RUNTIME_IMAGE} is not built; run: bash scripts/build-images.sh runtime runtime-examples`;
  }
  if (why !== '' && args.realNode) {
    throw new Error(`--real-node cannot run here: ${why}`);
  }
  return { real: why === '', why };
}

async function waitOneReady(cluster: Cluster, name: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await cluster.kubectl([
      'get',
      'mdep',
      name,
      '-n',
      NAMESPACE,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    if (res.code === 0 && res.stdout.trim() === 'True') return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
}

/** A V2 infer request with the golden input of examples/models/mlp-tiny.golden.json. */
function writePredictRequest(cluster: Cluster): string {
  const golden = JSON.parse(
    readFileSync(join(REPO, 'examples', 'models', 'mlp-tiny.golden.json'), 'utf8'),
  ) as { inputs: unknown[] }[];
  const file = join(cluster.tempDir, 'predict-request.json');
  writeFileSync(file, JSON.stringify({ inputs: golden[0]?.inputs ?? [] }));
  return file;
}

/** The Prometheus examples/full.yaml names; on kwok nothing listens there (see below). */
const EXAMPLE_PROMETHEUS_URL = 'http://127.0.0.1:9090';

/** examples/*.yaml, each canary analysis pointed at `prometheusUrl` when one runs. */
function exampleManifests(prometheusUrl: string | undefined): { file: string; json: string }[] {
  const files = readdirSync(join(REPO, 'examples')).filter((f) => f.endsWith('.yaml'));
  return files.map((file) => {
    const objects = readExampleObjects(readFileSync(join(REPO, 'examples', file), 'utf8'));
    const pointed =
      prometheusUrl === undefined ? objects : pointAnalysisAt(objects, prometheusUrl).objects;
    return { file, json: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pointed }) };
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    say(START_USAGE);
    return;
  }
  const mode = parseStartArgs(args);
  if (mode.kind === 'context') {
    await startOnContext(mode, { repo: REPO, say, step });
    return;
  }
  const nodes = await chooseNodes(mode);
  if (!nodes.real)
    say(`NOTE: pods run on kwok fake nodes (no model is loaded) because ${nodes.why}.`);
  const cluster = await step(
    nodes.real
      ? 'start a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler) and a real node (containerd, kubelet, kube-proxy)'
      : 'start a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)',
    () =>
      startCluster({
        log: (l) => say(`    ${l}`),
        ...(nodes.real ? { realNode: true, nodes: 0, nodeImages: [EXAMPLES_RUNTIME_IMAGE] } : {}),
      }),
  );
  if (cluster.realNode !== undefined) {
    say(
      `    real node ${cluster.realNode.name} Ready ${process.uptime().toFixed(1)} s after npm start`,
    );
  }
  let operator: OperatorProcess | undefined;
  let forward: Forward | undefined;
  let metrics: MetricsChain | undefined;
  let traffic: DemoTraffic | undefined;
  const stop = async (code: number): Promise<never> => {
    forward?.child.kill('SIGTERM');
    await traffic?.stop();
    await operator?.stop();
    await metrics?.stop().catch((err: unknown) => say(String(err)));
    await cluster.stop().catch((err: unknown) => say(String(err)));
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    const realNode = cluster.realNode;
    if (realNode !== undefined) {
      metrics = await step(
        'start Prometheus (scrapes the runtime pods) and prometheus-adapter (custom metrics API)',
        () =>
          startMetricsStack({
            kubeconfigPath: cluster.kubeconfigPath,
            kubeconfig: cluster.kubeconfig,
            binDir: cluster.binDir,
            node: realNode,
            namespaces: [NAMESPACE],
            logDir: cluster.logDir,
            log: (l) => say(`    ${l}`),
          }),
      );
    }
    const prometheusUrl = metrics?.prometheusUrl;
    operator = await step('start the operator', () =>
      OperatorProcess.start({
        kubeconfigPath: cluster.kubeconfigPath,
        namespaces: [],
        env: {
          // On kwok no Prometheus runs: the URL examples/full.yaml names is allowed, so its
          // analysis reads Inconclusive (unreachable) rather than refused.
          ANALYSIS_PROMETHEUS_URLS: prometheusUrl ?? EXAMPLE_PROMETHEUS_URL,
          ...(nodes.real ? { RUNTIME_IMAGE: EXAMPLES_RUNTIME_IMAGE } : {}),
        },
      }),
    );
    const examples = exampleManifests(prometheusUrl);
    await step(`apply examples/ (${examples.map((e) => e.file).join(', ')})`, async () => {
      if (prometheusUrl !== undefined)
        say(`    canary analysis reads the Prometheus started above: ${prometheusUrl}`);
      for (const e of examples)
        say(await kubectl(cluster, ['apply', '-n', NAMESPACE, '-f', '-'], e.json));
    });
    if (nodes.real) {
      const served = await step(`wait for ${PREDICT_EXAMPLE} to be Ready on the real node`, () =>
        waitOneReady(cluster, PREDICT_EXAMPLE, 240_000),
      );
      if (served) {
        forward = await step(`kubectl port-forward service/${PREDICT_EXAMPLE} (loopback)`, () =>
          portForward(
            cluster.tools.bin.kubectl,
            [`--kubeconfig=${cluster.kubeconfigPath}`],
            NAMESPACE,
            PREDICT_EXAMPLE,
          ),
        );
        const port = forward.port;
        const requestFile = writePredictRequest(cluster);
        const url = `http://127.0.0.1:${port}/v2/models/${PREDICT_EXAMPLE}/infer`;
        const answer = await step('send a V2 prediction through the port-forward', () =>
          predict(url, readFileSync(requestFile, 'utf8')),
        );
        say(`    answer: ${answer.slice(0, 300)}${answer.length > 300 ? '...' : ''}`);
        say(`    first prediction answered ${process.uptime().toFixed(1)} s after npm start`);
        say('    Try it yourself (the port-forward stays up until Ctrl-C):');
        say(`      curl -s -X POST ${url} -H 'content-type: application/json' -d @${requestFile}`);
      } else {
        say(
          `${PREDICT_EXAMPLE} is not Ready; \`kubectl describe mdep ${PREDICT_EXAMPLE}\` tells why.`,
        );
      }
    }
    const showcase =
      metrics === undefined
        ? undefined
        : {
            creds: parseKubeconfig(cluster.kubeconfig),
            namespace: NAMESPACE,
            repo: REPO,
            say,
            promotionWaitMs: 360_000,
          };
    if (showcase !== undefined) {
      // Started early: analysis and the HPA need samples, and the wait below can be long.
      const ready = await step(
        `wait for ${SHOWCASE_EXAMPLE.name} (examples/full.yaml) to be Ready`,
        () => waitOneReady(cluster, SHOWCASE_EXAMPLE.name, 240_000),
      );
      if (ready) {
        traffic = await startShowcaseTraffic(showcase);
        say(
          `    sending ${SHOWCASE_EXAMPLE.name} 4 predictions/s through the API server's service proxy`,
        );
      }
    }
    const ok = await step('wait for every ModelDeployment to be Ready', () =>
      waitReady(cluster, nodes.real ? 240_000 : 120_000),
    );
    say(await kubectl(cluster, ['get', 'mdep', '-n', NAMESPACE, '-o', 'wide']));
    say(
      await kubectl(cluster, [
        'get',
        'events',
        '-n',
        NAMESPACE,
        '--field-selector',
        'reportingComponent=modeldeploy.io/operator',
        '--sort-by=.metadata.creationTimestamp',
      ]),
    );
    if (!ok) say('Some ModelDeployments are not Ready yet; `kubectl describe mdep` tells why.');
    if (showcase !== undefined && traffic !== undefined) {
      await step(`wait for ${SHOWCASE_EXAMPLE.name}'s HPA metric and its canary analysis`, () =>
        showAnalysisAndScaling(showcase),
      );
    }
  } catch (err) {
    say(`ERROR: ${err instanceof Error ? err.message : String(err)}`);
    say('Nothing was left running. Fix the step above and run `npm start` again.');
    await stop(1);
  }
  say('');
  say('The cluster and the operator keep running. In another shell:');
  say(`  export KUBECONFIG=${cluster.kubeconfigPath}`);
  say(`  export PATH=${cluster.binDir}:$PATH`);
  say('  kubectl get mdep -w');
  if (metrics !== undefined) {
    say(`Prometheus: ${metrics.prometheusUrl} (try /graph?g0.expr=modeldeploy_requests_total)`);
    say(
      '  kubectl get --raw /apis/custom.metrics.k8s.io/v1beta1/namespaces/default/pods/*/modeldeploy_request_duration_seconds_p95',
    );
    say(`  Prometheus and prometheus-adapter logs: ${metrics.logDir}`);
  } else {
    say(
      `No Prometheus runs on kwok (its pods serve no metrics): examples/full.yaml's canary holds at its first step and its HPA reads <unknown>.`,
    );
  }
  if (nodes.real) {
    say(
      `Pods run on the real node ${cluster.realNode?.name ?? ''}: \`kubectl logs\`, \`exec\` and \`port-forward\` work.`,
    );
  } else {
    say(
      `Pods run on kwok fake nodes here (${nodes.why}): they are scheduled and become Ready, but no model is loaded.`,
    );
  }
  say('Stop with Ctrl-C.');
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
