/**
 * The end of `npm start` on a real node with its Prometheus: a gentle prediction stream to
 * examples/full.yaml's `scorer`, then its latency HPA reading the metric and its canary
 * judged by analysis, promoted or with the time until it can be.
 */
import type { ApiCredentials } from '../../test/cluster/kubeconfig.js';
import {
  firstApiKey,
  goldenRequestBody,
  startDemoTraffic,
  type DemoTraffic,
} from './demo-traffic.js';
import { pollFor, readCanary, readHpaMetric, type CanaryReading } from './showcase-progress.js';

/** examples/full.yaml: the example with a latency HPA and an analysed canary. */
export const SHOWCASE_EXAMPLE = {
  name: 'scorer',
  model: 'mlp-tiny',
  apiKeySecret: 'scorer-api-keys',
  apiKeyKey: 'api-keys',
} as const;

export interface ShowcaseOptions {
  readonly creds: ApiCredentials;
  readonly namespace: string;
  readonly repo: string;
  readonly say: (line: string) => void;
  /** How long to wait for the promotion before printing the time still ahead. */
  readonly promotionWaitMs: number;
}

/** Starts the prediction stream to the showcase example; stop it on exit. */
export async function startShowcaseTraffic(opts: ShowcaseOptions): Promise<DemoTraffic> {
  const { name, model, apiKeySecret, apiKeyKey } = SHOWCASE_EXAMPLE;
  const apiKey = await firstApiKey(opts.creds, opts.namespace, apiKeySecret, apiKeyKey);
  return startDemoTraffic({
    creds: opts.creds,
    namespace: opts.namespace,
    name,
    body: goldenRequestBody(opts.repo, model),
    ...(apiKey !== undefined ? { apiKey } : {}),
  });
}

function canaryLine(reading: CanaryReading): string {
  const a = reading.lastAnalysis;
  const analysis = a === undefined ? 'no analysis yet' : `last analysis ${a.verdict}: ${a.message}`;
  return `${reading.message ?? 'starting'}; ${analysis}`;
}

/** Prints the HPA's metric and the canary's progress; resolves when done or out of time. */
export async function showAnalysisAndScaling(opts: ShowcaseOptions): Promise<void> {
  const { creds, namespace, say } = opts;
  const { name } = SHOWCASE_EXAMPLE;
  const hpa = await pollFor(() => readHpaMetric(creds, namespace, name), 180_000);
  say(
    hpa === undefined
      ? `    HPA ${name} has no metric value yet; \`kubectl describe hpa ${name}\` tells why.`
      : `    HPA ${name} reads ${hpa.metric} = ${hpa.value} (a quantity of seconds: 5m = 5 ms; target 50 ms) with ${hpa.replicas} replicas`,
  );
  let last = '';
  const done = await pollFor(async () => {
    const reading = await readCanary(creds, namespace, name, new Date());
    if (reading === undefined) return undefined;
    // One line per change of step or verdict, not per analysis (each has a new p95).
    const key = `${reading.message ?? ''}|${reading.lastAnalysis?.verdict ?? ''}`;
    if (key !== last) say(`    canary: ${canaryLine(reading)}`);
    last = key;
    return reading.eta.kind === 'waiting' ? undefined : reading;
  }, opts.promotionWaitMs);
  if (done?.eta.kind === 'promoted') {
    say(`    canary of ${name} promoted after passing analysis at every step`);
    return;
  }
  if (done?.eta.kind === 'aborted') {
    say(`    canary of ${name} was aborted; \`kubectl describe mdep ${name}\` tells why`);
    return;
  }
  const now = await readCanary(creds, namespace, name, new Date());
  const eta = now?.eta;
  if (eta?.kind === 'waiting') {
    say(
      `    canary of ${name} can be promoted in about ${eta.atLeastSeconds} s (step pauses still ahead, each ending with a passing analysis); watch: kubectl get mdep ${name} -w`,
    );
  }
}
