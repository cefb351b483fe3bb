import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSpec } from '../../operator/src/api/model-deployment-spec.js';
import type { AnalysisResult } from '../../operator/src/api/model-deployment-status.js';
import { analyzeCanary } from '../../operator/src/rollout/canary-analysis.js';
import { grpcClient, type GrpcTestClient } from '../runtime/grpc-client.js';
import { startLoopbackProcess, type LoopbackProcess } from './loopback-process.js';
import {
  freePort,
  startPrometheus,
  stopChild,
  waitFor,
  type PrometheusServer,
} from './prometheus-server.js';

/**
 * A canary whose clients all use gRPC (the GRPCRoute sends them there): the real runtime on
 * loopback answers every ModelInfer call with INVALID_ARGUMENT (400 in its metrics), a real
 * Prometheus scrapes it, and the analysis the operator runs must fail it. With only the REST
 * inference routes counted it saw no samples and stayed Inconclusive for ever.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
const WINDOW_SECONDS = 10;
const target = { namespace: 'prod', name: 'grpc-only', model: 'scorer', version: '2' };

let runtime: LoopbackProcess | undefined;
let prometheus: PrometheusServer | undefined;
let client: GrpcTestClient | undefined;
let stopped = false;
let traffic: Promise<number> | undefined;

/** Bounded: at most 20,000 calls or 120 s, whichever comes first. */
async function badCalls(grpc: GrpcTestClient): Promise<number> {
  const deadline = Date.now() + 120_000;
  let refused = 0;
  // Three values for a [1, 64] input: the same 400 a REST client gets for it.
  const request = {
    model_name: target.model,
    inputs: [
      { name: 'input', datatype: 'FP32', shape: [1, 64], contents: { fp32_contents: [1, 2, 3] } },
    ],
  };
  for (let sent = 0; sent < 20_000 && Date.now() < deadline && !stopped; sent++) {
    const err = await grpc.fail('ModelInfer', request);
    if (err.details.length > 0) refused++;
    await new Promise((r) => setTimeout(r, 5));
  }
  return refused;
}

function analyze(): Promise<AnalysisResult> {
  const url = prometheus?.url ?? '';
  return analyzeCanary({
    analysis: analysisSpec.parse({
      intervalSeconds: WINDOW_SECONDS,
      maxErrorRate: 0.05,
      prometheusUrl: url,
    }),
    ...target,
    now: new Date(),
    allowedPrometheusUrls: [url],
    timeoutMs: 3000,
    minWindowSeconds: WINDOW_SECONDS,
  });
}

beforeAll(async () => {
  const grpcPort = await freePort();
  runtime = await startLoopbackProcess({
    what: 'runtime canary over gRPC',
    args: (port) => [
      '--import',
      'tsx',
      'runtime/src/main.ts',
      '--model',
      'examples/models/mlp-tiny.onnx',
      '--port',
      String(port),
    ],
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      GRPC_ENABLED: 'true',
      GRPC_PORT: String(grpcPort),
      MODEL_NAME: target.model,
      MODEL_VERSION: target.version,
      MODEL_TRACK: 'canary',
      MODELDEPLOY_INSTANCE: `${target.namespace}/${target.name}`,
      LOG_LEVEL: 'warn',
    },
    readyPath: '/ready',
  });
  prometheus = await startPrometheus({
    targets: [`127.0.0.1:${runtime.port}`],
    scrapeIntervalSeconds: 1,
  });
  client = grpcClient(`127.0.0.1:${grpcPort}`);
  traffic = badCalls(client);
}, 120_000);

afterAll(async () => {
  stopped = true;
  await traffic;
  client?.close();
  await Promise.all([stopChild(runtime?.child), prometheus?.stop()]);
});

describe('canary analysis of gRPC traffic against a real Prometheus', () => {
  it('fails a canary whose gRPC ModelInfer calls all answer INVALID_ARGUMENT', async () => {
    let result: AnalysisResult | undefined;
    await waitFor(
      'a verdict other than Inconclusive for the gRPC-only canary',
      async () => {
        result = await analyze();
        return result.verdict !== 'Inconclusive';
      },
      60_000,
    );
    expect(result?.verdict, result?.message).toBe('Fail');
    expect(result?.errorRate).toBe(1);
    stopped = true;
    expect(await traffic).toBeGreaterThan(20);
  }, 90_000);
});
