/**
 * The processes an analysis test measures, all on 127.0.0.1: the real runtime and
 * canary-test-server.ts instances, each labelled as one track of one ModelDeployment, plus
 * bounded request loops that keep their windows filled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { queryScalar } from '../../operator/src/rollout/prometheus-client.js';
import { freePort, stopChild, waitFor } from './prometheus-server.js';

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

function captured(child: ChildProcess): () => string {
  let text = '';
  const append = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => text;
}

async function started(
  child: ChildProcess,
  instance: string | undefined,
  port: number,
  ready: string,
): Promise<Pod> {
  const url = `http://127.0.0.1:${port}`;
  const log = captured(child);
  await waitFor(
    `${url}${ready} to answer`,
    async () => (await fetch(`${url}${ready}`)).ok,
    60_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${log()}`);
  });
  return { instance, url, port, child, log };
}

/** A canary-test-server.ts process answering /predict with `codes` in turn. */
export async function startTestServer(options: TestServerOptions): Promise<Pod> {
  const port = await freePort();
  const args = [
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
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  return started(child, options.instance, port, '/metrics');
}

/** The real runtime serving examples/models/mlp-tiny.onnx, as the operator would start it. */
export async function startRuntime(options: {
  instance: string | undefined;
  model: string;
  version: string;
  track: 'stable' | 'canary';
}): Promise<Pod> {
  const port = await freePort();
  const args = [
    '--import',
    'tsx',
    'runtime/src/main.ts',
    '--model',
    'examples/models/mlp-tiny.onnx',
  ];
  const child = spawn(process.execPath, [...args, '--port', String(port)], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      MODEL_NAME: options.model,
      MODEL_VERSION: options.version,
      MODEL_TRACK: options.track,
      ...(options.instance !== undefined ? { MODELDEPLOY_INSTANCE: options.instance } : {}),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started(child, options.instance, port, '/ready');
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
): Promise<void> {
  const query = `sum(increase(modeldeploy_requests_total{modeldeployment="${selector.instance}",track="${selector.track}",route="/predict"}[${windowSeconds}s]))`;
  await waitFor(
    `${min} requests of ${selector.instance} (${selector.track}) in a ${windowSeconds} s window`,
    async () => ((await queryScalar(prometheusUrl, query, { timeoutMs: 2000 })) ?? 0) >= min,
    60_000,
  );
}
