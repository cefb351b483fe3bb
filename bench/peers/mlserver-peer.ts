import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type BenchModel } from '../lib/models.js';
import { OUR_MAX_BATCH, OUR_MAX_DELAY_MS } from '../lib/our-runtime.js';
import { freePort, type ServerSpec } from '../lib/server-process.js';

/** Where bench/peers/setup-venv.sh installs the peers from PyPI. */
export const PEER_VENV_ROOT =
  process.env.BENCH_VENV_ROOT ?? join(homedir(), '.cache', 'modeldeploy', 'bench-venv');

/** Peer B's parallel inference workers: Seldon's tuning guide says one per core. */
export const MLSERVER_WORKERS = Number(
  process.env.BENCH_MLSERVER_WORKERS ?? availableParallelism(),
);

export const MLSERVER_NAME = `peer B: MLServer, adaptive batching (${OUR_MAX_BATCH}, ${OUR_MAX_DELAY_MS} ms)`;

/** onnxruntime threads per worker process so that the workers together use the cores once. */
export const threadsPerWorker = (workers: number): string =>
  String(Math.max(1, Math.floor(availableParallelism() / Math.max(1, workers))));

export interface MlserverTarget {
  readonly spec: ServerSpec;
  /** V2 REST infer URL. */
  readonly url: string;
  /** host:port of its V2 gRPC endpoint. */
  readonly grpcTarget: string;
}

/**
 * Seldon MLServer serving one model with bench/peers/mlserver_peer's onnxruntime runtime:
 * adaptive batching at our batcher's settings, one parallel worker per core, V2 REST on
 * `port` and V2 gRPC on a port of its own, all on loopback.
 */
export async function mlserverTarget(
  model: BenchModel,
  port: number,
  logFile: string,
): Promise<MlserverTarget> {
  const repo = await mkdtemp(join(tmpdir(), `md-bench-mlserver-${model.key}-`));
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  await writeFile(
    join(repo, 'settings.json'),
    JSON.stringify({
      debug: false,
      host: '127.0.0.1',
      http_port: port,
      grpc_port: grpcPort,
      metrics_port: metricsPort,
      parallel_workers: MLSERVER_WORKERS,
    }),
  );
  await mkdir(join(repo, model.name));
  await writeFile(
    join(repo, model.name, 'model-settings.json'),
    JSON.stringify({
      name: model.name,
      implementation: 'onnx_runtime.OnnxModel',
      max_batch_size: OUR_MAX_BATCH,
      max_batch_time: OUR_MAX_DELAY_MS / 1000,
      parameters: { uri: model.path, version: '1' },
    }),
  );
  return {
    spec: {
      label: MLSERVER_NAME,
      command: join(PEER_VENV_ROOT, 'mlserver', 'bin', 'mlserver'),
      args: ['start', repo],
      cwd: repo,
      env: {
        PYTHONPATH: join(REPO_ROOT, 'bench', 'peers', 'mlserver_peer'),
        ORT_THREADS: MLSERVER_WORKERS > 0 ? threadsPerWorker(MLSERVER_WORKERS) : '0',
      },
      readyUrl: `http://127.0.0.1:${port}/v2/models/${model.name}/ready`,
      readyTimeoutMs: 180_000,
      logFile,
    },
    url: `http://127.0.0.1:${port}/v2/models/${model.name}/infer`,
    grpcTarget: `127.0.0.1:${grpcPort}`,
  };
}
