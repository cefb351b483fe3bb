/**
 * A gentle, bounded stream of predictions to one example through the API server's service
 * proxy, so its runtime pods have request metrics: canary analysis has samples to judge
 * (without traffic every check is Inconclusive and the rollout holds) and the latency HPA
 * has a p95 to read. The service proxy spreads requests over the Service's ready endpoints,
 * stable and canary pods alike, as a client inside the cluster would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { driveLoad, serviceProxyTarget, type LoadResult } from '../../bench/load-driver.js';
import { apiRequest } from '../../test/cluster/api-client.js';
import type { ApiCredentials } from '../../test/cluster/kubeconfig.js';

export interface DemoTrafficOptions {
  readonly creds: ApiCredentials;
  readonly namespace: string;
  /** The ModelDeployment (its Service and served model have its name). */
  readonly name: string;
  /** A V2 infer request body. */
  readonly body: string;
  /** Sent as x-api-key when the example requires a key. */
  readonly apiKey?: string;
  /** Requests per second (default 4). */
  readonly ratePerSecond?: number;
  /** The bound: the stream ends by itself after this long (default 1 h). */
  readonly maxSeconds?: number;
}

export interface DemoTraffic {
  /** Ends the stream; resolves with its totals. */
  stop(): Promise<LoadResult>;
}

export function startDemoTraffic(opts: DemoTrafficOptions): DemoTraffic {
  const rate = opts.ratePerSecond ?? 4;
  const seconds = opts.maxSeconds ?? 3600;
  const base = serviceProxyTarget(
    opts.creds,
    opts.namespace,
    opts.name,
    'http',
    `/v2/models/${opts.name}/infer`,
  );
  // Authorization is the API server's own (it keeps it); the runtime reads x-api-key.
  const headers = {
    ...base.headers,
    'content-type': 'application/json',
    ...(opts.apiKey !== undefined ? { 'x-api-key': opts.apiKey } : {}),
  };
  const abort = new AbortController();
  const run = driveLoad({
    target: { ...base, headers },
    body: opts.body,
    requests: rate * seconds,
    ratePerSecond: rate,
    concurrency: 2,
    maxDurationMs: seconds * 1000,
    signal: abort.signal,
  });
  return {
    stop: () => {
      abort.abort();
      return run;
    },
  };
}

/** The first key of an API key Secret (one key a line), or undefined when there is none. */
export async function firstApiKey(
  creds: ApiCredentials,
  namespace: string,
  secret: string,
  key: string,
): Promise<string | undefined> {
  const res = await apiRequest(creds, 'GET', `/api/v1/namespaces/${namespace}/secrets/${secret}`);
  if (res.status !== 200) return undefined;
  const data = (JSON.parse(res.body) as { data?: Record<string, string> }).data?.[key];
  if (data === undefined) return undefined;
  return Buffer.from(data, 'base64')
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
}

/** A V2 infer request with the first golden input of examples/models/<model>.golden.json. */
export function goldenRequestBody(repo: string, model: string): string {
  const golden = JSON.parse(
    readFileSync(join(repo, 'examples', 'models', `${model}.golden.json`), 'utf8'),
  ) as { inputs: unknown[] }[];
  return JSON.stringify({ inputs: golden[0]?.inputs ?? [] });
}
