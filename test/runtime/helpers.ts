import { request, type ClientRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GoldenRequest } from '../../runtime/src/config/golden-requests.js';
import { parseConfig, type RuntimeConfig } from '../../runtime/src/config/index.js';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { buildServer, type RuntimeServer } from '../../runtime/src/server.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const MODELS = {
  tiny: `${ROOT}examples/models/mlp-tiny.onnx`,
  tinyV2: `${ROOT}examples/models/mlp-tiny-v2.onnx`,
  heavy: `${ROOT}examples/models/mlp-heavy.onnx`,
  fixed: `${ROOT}test/fixtures/models/mlp-fixed-batch.onnx`,
  int64: `${ROOT}test/fixtures/models/int64-embedding.onnx`,
  twoInputs: `${ROOT}test/fixtures/models/two-inputs.onnx`,
} as const;

/** The golden requests make_models.py wrote next to a model. */
export function goldenFor(modelPath: string): GoldenRequest[] {
  return JSON.parse(
    readFileSync(modelPath.replace(/\.onnx$/, '.golden.json'), 'utf8'),
  ) as GoldenRequest[];
}

/**
 * A configuration as the operator would pass it, quiet and single-threaded for the shared
 * test machine, and without the shutdown delay (tests that need it set SHUTDOWN_DELAY_MS).
 */
export function testConfig(
  model: string,
  env: Record<string, string> = {},
  argv: string[] = [],
): RuntimeConfig {
  return parseConfig(
    {
      MODEL_URI: model,
      LOG_LEVEL: 'silent',
      INTRA_OP_THREADS: '1',
      INTER_OP_THREADS: '1',
      SHUTDOWN_DELAY_MS: '0',
      ...env,
    },
    argv,
  );
}

export interface TestRuntime {
  readonly server: RuntimeServer;
  readonly config: RuntimeConfig;
  /** Set when started with listen: the base URL on 127.0.0.1. */
  readonly url: string;
  close(): Promise<void>;
}

/** Loads the model for real (onnxruntime, warm-up, golden) and builds the server. */
export async function startRuntime(
  model: string,
  env: Record<string, string> = {},
  options: { listen?: boolean } = {},
): Promise<TestRuntime> {
  const config = testConfig(model, env);
  const loaded = await loadModel(config);
  const server = await buildServer(config, loaded);
  let url = '';
  if (options.listen === true) url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { server, config, url, close: () => server.shutdown() };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

/** fastify.inject with a JSON body; parses the JSON answer. */
export async function call(
  server: RuntimeServer,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const res = await server.app.inject({
    method,
    url,
    headers: {
      ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(payload !== undefined
      ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }
      : {}),
  });
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    body = {};
  }
  return { status: res.statusCode, headers: res.headers, body, text: res.body };
}

/** Rows of a flat array. */
export function chunk(data: readonly number[], width: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < data.length; i += width) rows.push(data.slice(i, i + width));
  return rows;
}

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** The value of one sample in Prometheus text format, e.g. metric('x_total', {route: '/predict'}). */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

export interface HeldRequest {
  /** Sends the rest of the body. */
  finish(): void;
  /** Hangs up without sending the rest. */
  abort(): void;
  readonly response: Promise<{ status: number; body: string }>;
}

/**
 * A POST on its own connection that sends its headers and half its body, then waits for
 * finish(): the server has accepted the request and is still receiving it.
 */
export function heldPost(url: string, body: string): HeldRequest {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  let req: ClientRequest;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    req.write(bytes.subarray(0, half));
  });
  return { response, finish: () => req.end(bytes.subarray(half)), abort: () => req.destroy() };
}

/** Polls until check() is true (bounded), e.g. until the server counts the requests in flight. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
