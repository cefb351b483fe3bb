/**
 * The processes an analysis test measures, all on 127.0.0.1: the real runtime and
 * canary-test-server.ts instances, each labelled as one track of one ModelDeployment, plus
 * bounded request loops that keep their windows filled.
 */
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { queryScalar } from '../../operator/src/rollout/prometheus-client.js';
import { startLoopbackProcess, type LoopbackProcess } from './loopback-process.js';
import { stopChild, waitFor } from './prometheus-server.js';

const repoRoot = resolve(import.meta.dirname, '../..');

export interface Pod {
  /** `<namespace>/<name>` of the ModelDeployment it belongs to; undefined = no label. */
  readonly instance: string | undefined;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  log(): string;
}

export interface TestServerOptions {
  instance?: string;
  model: string;
  version: string;
  track: 'stable' | 'canary';
  /** Status codes answered in turn, e.g. [200, 500]. */
  codes: number[];
  delayMs?: number;
}

function asPod(instance: string | undefined, p: LoopbackProcess): Pod {
  return { instance, url: p.url, port: p.port, child: p.child, log: p.output };
}

/**
 * A canary-test-server.ts process answering /predict with `codes` in turn, on a loopback
 * port that is picked again if another process took it first.
 */
export async function startTestServer(options: TestServerOptions): Promise<Pod> {
  const started = await startLoopbackProcess({
    what: `test server ${options.track} ${options.version}`,
    args: (port) => [
      '--import',
      'tsx',
      join(import.meta.dirname, 'canary-test-server.ts'),
      `--port=${port}`,
      `--model=${options.model}`,
      `--version=${options.version}`,
      `--track=${options.track}`,
      `--codes=${options.codes.join(',')}`,
      `--delay-ms=${options.delayMs ?? 0}`,
      ...(options.instance !== undefined ? [`--instance=${options.instance}`] : []),
    ],
    cwd: repoRoot,
    readyPath: '/metrics',
  });
  return asPod(options.instance, started);
}

/**
 * The real runtime serving examples/models/mlp-tiny.onnx (or `modelFile`), as the operator
 * would start it; `env` adds settings such as the shadow ones.
 */
export async function startRuntime(options: {
  instance: string | undefined;
  model: string;
  version: string;
  track: 'stable' | 'canary' | 'shadow';
  modelFile?: string;
  env?: Readonly<Record<string, string>>;
}): Promise<Pod> {
  const started = await startLoopbackProcess({
    what: `runtime ${options.track} ${options.version}`,
    args: (port) => [
      '--import',
      'tsx',
      'runtime/src/main.ts',
      '--model',
      options.modelFile ?? 'examples/models/mlp-tiny.onnx',
      '--port',
      String(port),
    ],
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      GRPC_ENABLED: 'false',
      MODEL_NAME: options.model,
      MODEL_VERSION: options.version,
      MODEL_TRACK: options.track,
      ...(options.instance !== undefined ? { MODELDEPLOY_INSTANCE: options.instance } : {}),
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    readyPath: '/ready',
  });
  return asPod(options.instance, started);
}

export async function stopPods(pods: readonly (Pod | undefined)[]): Promise<void> {
  await Promise.all(pods.map((pod) => stopChild(pod?.child)));
}

/**
 * Sends POST /predict to every pod with one worker each until `done()` or `maxMs`, at most
 * `maxPerPod` requests each; resolves to the status codes each pod answered.
 */
export async function drive(
  pods: readonly Pod[],
  body: string,
  options: { maxPerPod: number; maxMs: number; done: () => boolean },
): Promise<Record<number, number>[]> {
  const deadline = Date.now() + options.maxMs;
  const worker = async (pod: Pod) => {
    const codes: Record<number, number> = {};
    for (
      let sent = 0;
      sent < options.maxPerPod && Date.now() < deadline && !options.done();
      sent++
    ) {
      const response = await fetch(`${pod.url}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      codes[response.status] = (codes[response.status] ?? 0) + 1;
    }
    return codes;
  };
  return Promise.all(pods.map(worker));
}

/**
 * Waits until Prometheus holds at least `min` requests of one track of one ModelDeployment
 * in the last `windowSeconds`: a verdict on a handful of samples from the first seconds of
 * traffic would judge the ramp-up, not the pods.
 */
export async function waitForWindow(
  prometheusUrl: string,
  selector: { instance: string; track: 'stable' | 'canary' },
  min: number,
  windowSeconds: number,
  codes = 1,
): Promise<void> {
  // Counted per status code: a code's series needs two samples of its own before rate()
  // sees it, so a window where only the first code has them measures a 50 % error pod at 0 %.
  const series = `modeldeploy_requests_total{modeldeployment="${selector.instance}",track="${selector.track}",route="/predict"}`;
  const query = `count(sum by (code) (increase(${series}[${windowSeconds}s])) >= ${min})`;
  await waitFor(
    `${min} requests of each of ${codes} status codes of ${selector.instance} (${selector.track}) in a ${windowSeconds} s window`,
    async () => ((await queryScalar(prometheusUrl, query, { timeoutMs: 2000 })) ?? 0) >= codes,
    60_000,
  );
}
