import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type BenchModel } from './models.js';
import type { ServerSpec } from './server-process.js';
import { RUNTIME_NODE_FLAGS } from '../../runtime/src/node-flags.js';

/** The runtime's defaults (BATCH_MAX_SIZE, BATCH_MAX_DELAY_MS), used as they are. */
export const OUR_MAX_BATCH = 32;
export const OUR_MAX_DELAY_MS = 2;

/** Builds runtime/dist, the code the image runs. */
export async function buildRuntime(): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build', '-w', 'runtime'], { cwd: REPO_ROOT });
}

/** Our runtime from runtime/dist, on loopback, batching off (BATCH_MAX_SIZE=1) or at its defaults. */
export function ourRuntimeSpec(options: {
  readonly model: BenchModel;
  readonly port: number;
  readonly batching: boolean;
  readonly logFile: string;
  readonly nodeArgs?: readonly string[];
  /** The runtime's own V8 flags (RUNTIME_NODE_FLAGS, as the image runs it) unless given. */
  readonly nodeFlags?: readonly string[];
  /** Extra settings on top of the defaults, e.g. SESSION_THREAD=main. */
  readonly env?: Readonly<Record<string, string>>;
  /** A checkout whose runtime/dist to run instead of this one's (a baseline commit). */
  readonly root?: string;
}): ServerSpec {
  const { model, port, batching } = options;
  return {
    label: `ours (batching ${batching ? 'on' : 'off'})`,
    command: process.execPath,
    args: [
      // As the image runs it (Dockerfile.runtime).
      ...(options.nodeFlags ?? RUNTIME_NODE_FLAGS),
      ...(options.nodeArgs ?? []),
      join(options.root ?? REPO_ROOT, 'runtime', 'dist', 'main.js'),
      '--model',
      model.path,
      '--port',
      String(port),
    ],
    env: {
      HOST: '127.0.0.1',
      // Benchmarks that drive gRPC set GRPC_ENABLED and GRPC_PORT in options.env.
      GRPC_ENABLED: 'false',
      BATCH_MAX_SIZE: batching ? String(OUR_MAX_BATCH) : '1',
      BATCH_MAX_DELAY_MS: String(OUR_MAX_DELAY_MS),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...options.env,
    },
    readyUrl: `http://127.0.0.1:${port}/v2/health/ready`,
    logFile: options.logFile,
  };
}

export function ourInferUrl(model: BenchModel, port: number): string {
  return `http://127.0.0.1:${port}/v2/models/${model.name}/infer`;
}
