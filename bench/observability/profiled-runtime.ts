import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRequest, type LoadRequest } from '../lib/correctness.js';
import { loadBenchModel, type BenchModel } from '../lib/models.js';
import { ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import type { CpuProfile } from './cpu-profile.js';
import { startOtlpSink } from './otlp-sink.js';

/** What a drive gets: the running runtime and the one-row V2 request to send it. */
export interface ProfiledTarget {
  readonly model: BenchModel;
  readonly port: number;
  readonly url: string;
  readonly request: LoadRequest;
}

export interface Profiled<T> {
  readonly file: string;
  readonly profile: CpuProfile;
  /** What `drive` returned. */
  readonly driven: T;
}

/**
 * Runs the tiny model's runtime (runtime/dist, built beforehand) under `node --cpu-prof`,
 * with `env(otlpEndpoint)` (spans go to a loopback sink), lets `drive` load it, stops it and
 * reads the profile it wrote on exit.
 */
export async function profileRuntime<T>(
  env: (otlpEndpoint: string) => Record<string, string>,
  drive: (target: ProfiledTarget) => Promise<T>,
): Promise<Profiled<T>> {
  const model = await loadBenchModel('tiny');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'md-obs-profile-'));
  const sink = await startOtlpSink();
  const server = await ServerProcess.start(
    ourRuntimeSpec({
      model,
      port,
      batching: true,
      logFile: join(dir, 'runtime.log'),
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
      env: env(sink.endpoint),
    }),
  );
  let driven: T;
  try {
    const request = loadRequest('v2', model, 1);
    driven = await drive({ model, port, url: ourInferUrl(model, port), request });
  } finally {
    await server.stop();
    await sink.close();
  }
  const name = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (name === undefined) throw new Error(`no .cpuprofile in ${dir}; see ${dir}/runtime.log`);
  const file = join(dir, name);
  return { file, profile: JSON.parse(await readFile(file, 'utf8')) as CpuProfile, driven };
}
