/**
 * A bounded load driver for tests and people: sends a fixed number of requests at a chosen
 * rate with at most `concurrency` in flight, then stops by itself, and reports the achieved
 * rate and client-side latency percentiles.
 *
 * Targets are a plain URL (e.g. a `kubectl port-forward` on 127.0.0.1) or a Service through
 * the API server's service proxy (`--kubeconfig` + `--service`), which spreads requests over
 * the Service's ready endpoints the way a client inside the cluster would see them; a
 * port-forward to a Service pins one pod. Only loopback or the API server of the kubeconfig
 * are ever contacted.
 *
 *   npx tsx bench/load-driver.ts --kubeconfig $KUBECONFIG --service default/iris-tiny \
 *     --path /v2/models/iris-tiny/infer --body-file req.json --requests 3000 --rate 100 \
 *     --concurrency 16
 *   npx tsx bench/load-driver.ts --url http://127.0.0.1:8080/v2/models/m/infer --body '{…}' …
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { parseKubeconfig, type ApiCredentials } from '../test/cluster/kubeconfig.js';
import { percentile } from './lib/percentile.js';

export interface LoadTarget {
  /** Full URL of each request. */
  readonly url: string;
  /** TLS material for an https URL (the API server: its CA and a client certificate). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  readonly headers?: Readonly<Record<string, string>>;
}

/** The URL of `path` on Service namespace/name through the API server's service proxy. */
export function serviceProxyTarget(
  creds: ApiCredentials,
  namespace: string,
  service: string,
  port: string,
  path: string,
): LoadTarget {
  if (creds.auth.kind === 'token') {
    return {
      url: `${creds.server}/api/v1/namespaces/${namespace}/services/${service}:${port}/proxy${path}`,
      tls: { ca: creds.caData },
      headers: { authorization: `Bearer ${creds.auth.token}` },
    };
  }
  return {
    url: `${creds.server}/api/v1/namespaces/${namespace}/services/${service}:${port}/proxy${path}`,
    tls: { ca: creds.caData, cert: creds.auth.certData, key: creds.auth.keyData },
  };
}

export interface LoadOptions {
  readonly target: LoadTarget;
  readonly method?: string;
  readonly body?: string;
  /** Total requests to send (the bound). */
  readonly requests: number;
  /** Requests started per second (evenly spaced); the achieved rate is lower when saturated. */
  readonly ratePerSecond: number;
  /** Most requests in flight at once. */
  readonly concurrency: number;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** Hard stop for the whole run even if requests remain (default: requests / rate × 3 + 30 s). */
  readonly maxDurationMs?: number;
  /** Stops early when aborted. */
  readonly signal?: AbortSignal;
  /** Called about once a second with the last second's figures. */
  readonly onProgress?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
  readonly completed: number;
  /** Completions in the last interval, per second. */
  readonly rate: number;
  /** p95 of the requests completed in the last interval, ms. */
  readonly p95Ms: number;
  readonly inFlight: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** Count by HTTP status; 0 = network error or timeout. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly achievedRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** First error message seen, for failure reports. */
  readonly firstError?: string;
}

interface Sample {
  readonly ms: number;
  readonly status: number;
  readonly error?: string;
}

function sendOne(
  target: LoadTarget,
  agent: HttpAgent | HttpsAgent,
  method: string,
  body: string | undefined,
  timeoutMs: number,
): Promise<Sample> {
  const url = new URL(target.url);
  const https = url.protocol === 'https:';
  const headers: Record<string, string> = { ...target.headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, error?: string): void => {
      if (settled) return;
      settled = true;
      const ms = performance.now() - started;
      resolve(error === undefined ? { ms, status } : { ms, status, error });
    };
    const options = { method, headers, agent, timeout: timeoutMs };
    const onResponse = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        done(
          status,
          status >= 200 && status < 300
            ? undefined
            : `HTTP ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`,
        );
      });
      res.on('error', (e) => done(0, e.message));
    };
    const req = https
      ? httpsRequest(url, { ...options, ...target.tls }, onResponse)
      : httpRequest(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (e) => done(0, e.message));
    req.end(body);
  });
}

/** Runs the bounded load and resolves with the totals; never throws on failed requests. */
export async function driveLoad(opts: LoadOptions): Promise<LoadResult> {
  if (!(opts.requests > 0 && opts.ratePerSecond > 0 && opts.concurrency > 0)) {
    throw new Error('requests, ratePerSecond and concurrency must be positive');
  }
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxDurationMs = opts.maxDurationMs ?? (opts.requests / opts.ratePerSecond) * 3_000 + 30_000;
  const https = new URL(opts.target.url).protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: opts.concurrency };
  const agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const intervalMs = 1_000 / opts.ratePerSecond;
  const samples: Sample[] = [];
  let recent: number[] = [];
  let inFlight = 0;
  let sent = 0;
  const t0 = performance.now();
  const deadline = t0 + maxDurationMs;
  let lastTick = t0;
  let lastCompleted = 0;
  const progress = setInterval(() => {
    const now = performance.now();
    const sorted = recent.sort((a, b) => a - b);
    opts.onProgress?.({
      elapsedMs: now - t0,
      completed: samples.length,
      rate: ((samples.length - lastCompleted) * 1_000) / (now - lastTick),
      p95Ms: percentile(sorted, 95),
      inFlight,
    });
    recent = [];
    lastTick = now;
    lastCompleted = samples.length;
  }, 1_000);
  const slots: Promise<void>[] = [];
  let wake: (() => void) | undefined;
  const stopped = (): boolean => opts.signal?.aborted === true || performance.now() > deadline;
  try {
    while (sent < opts.requests && !stopped()) {
      // Pace: request i starts no earlier than t0 + i × interval.
      const due = t0 + sent * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      while (inFlight >= opts.concurrency && !stopped()) {
        await new Promise<void>((r) => (wake = r));
      }
      if (stopped()) break;
      sent += 1;
      inFlight += 1;
      const slot = sendOne(opts.target, agent, method, opts.body, timeoutMs).then((s) => {
        samples.push(s);
        recent.push(s.ms);
        inFlight -= 1;
        const w = wake;
        wake = undefined;
        w?.();
      });
      slots.push(slot);
      if (slots.length > 4 * opts.concurrency) {
        // Keep the array short; completed promises need not be awaited again.
        slots.splice(0, slots.length - 2 * opts.concurrency);
      }
    }
    await Promise.all(slots);
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  } finally {
    clearInterval(progress);
    agent.destroy();
  }
  const durationMs = performance.now() - t0;
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
  const okSamples = samples.filter((s) => s.error === undefined);
  const sorted = okSamples.map((s) => s.ms).sort((a, b) => a - b);
  const firstError = samples.find((s) => s.error !== undefined)?.error;
  return {
    sent,
    ok: okSamples.length,
    failed: samples.length - okSamples.length,
    statuses,
    durationMs,
    achievedRate: (samples.length * 1_000) / durationMs,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? 0,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

export function formatResult(r: LoadResult): string {
  const f = (n: number): string => n.toFixed(1);
  return (
    `${r.ok}/${r.sent} ok in ${f(r.durationMs / 1_000)} s: ${f(r.achievedRate)} req/s achieved, ` +
    `p50 ${f(r.p50Ms)} ms, p95 ${f(r.p95Ms)} ms, p99 ${f(r.p99Ms)} ms, max ${f(r.maxMs)} ms; ` +
    `statuses ${JSON.stringify(r.statuses)}${r.firstError === undefined ? '' : `; first error: ${r.firstError}`}`
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      kubeconfig: { type: 'string' },
      service: { type: 'string' },
      port: { type: 'string', default: 'http' },
      path: { type: 'string' },
      body: { type: 'string' },
      'body-file': { type: 'string' },
      requests: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '8' },
      'timeout-ms': { type: 'string', default: '10000' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: load-driver (--url URL | --kubeconfig FILE --service NS/NAME [--port http] --path /p)\n' +
        '                   [--body JSON | --body-file FILE] [--requests 1000] [--rate 50]\n' +
        '                   [--concurrency 8] [--timeout-ms 10000] [--quiet]\n',
    );
    return;
  }
  let target: LoadTarget;
  if (values.url !== undefined) {
    target = { url: values.url };
  } else if (values.kubeconfig !== undefined && values.service !== undefined) {
    const [namespace, name] = values.service.split('/');
    if (namespace === undefined || name === undefined || values.path === undefined) {
      throw new Error('--service takes NAMESPACE/NAME and needs --path');
    }
    const creds = parseKubeconfig(readFileSync(values.kubeconfig, 'utf8'));
    target = serviceProxyTarget(creds, namespace, name, values.port, values.path);
  } else {
    throw new Error('give --url, or --kubeconfig with --service and --path (see --help)');
  }
  const body =
    values['body-file'] !== undefined ? readFileSync(values['body-file'], 'utf8') : values.body;
  const result = await driveLoad({
    target,
    ...(body === undefined ? {} : { body }),
    requests: Number(values.requests),
    ratePerSecond: Number(values.rate),
    concurrency: Number(values.concurrency),
    timeoutMs: Number(values['timeout-ms']),
    ...(values.quiet
      ? {}
      : {
          onProgress: (p: LoadProgress) =>
            process.stderr.write(
              `[load] ${(p.elapsedMs / 1_000).toFixed(0)} s: ${p.completed} done, ${p.rate.toFixed(0)} req/s, p95 ${p.p95Ms.toFixed(1)} ms, ${p.inFlight} in flight\n`,
            ),
        }),
  });
  process.stdout.write(`${formatResult(result)}\n`);
  if (result.ok === 0) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  });
}
