/**
 * Where one configuration of bench/observability spends the runtime's CPU: runs the runtime
 * (runtime/dist, built beforehand) under `node --cpu-prof`, drives it with wrk, and prints the
 * frames with the most self time.
 *
 *   node --import tsx bench/observability/profile.ts [--variant tracing-0] [--seconds 8]
 *        [--concurrency 64] [--top 30] [--filter observability]
 *
 * Variants as in run.ts, plus tracing-0 (tracing on, nothing sampled: the path every unsampled
 * request takes). --filter keeps frames whose script path holds the text (the rest are summed
 * in one line), to see our own code among node's and fastify's. Last, the share of the busy
 * main thread spent in tracing and payload-logging code and the natives it calls (stackShare).
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchLog } from '../lib/bench-run.js';
import { loadRequest } from '../lib/correctness.js';
import { loadBenchModel } from '../lib/models.js';
import { ourInferUrl, ourRuntimeSpec } from '../lib/our-runtime.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import { measureCell } from '../lib/wrk.js';
import { batchTotals } from '../lib/batch-totals.js';
import { startOtlpSink } from './otlp-sink.js';
import { ownerTime, stackShare, topSelfTime, type CpuProfile } from './cpu-profile.js';
import { isVariant, variantEnv } from './variants.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', default: 'tracing-0' },
    seconds: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '64' },
    top: { type: 'string', default: '30' },
    filter: { type: 'string' },
    /**
     * Rounds of two slices in one runtime (tracing on, no root trace sampled): one where every
     * tenth request carries a sampled caller's traceparent, one where it carries an unsampled
     * one, as same-process.ts does. Then each owner's main-thread µs per request in each kind
     * of slice, and their difference: where tracing's cost lands, GC and fastify included.
     */
    alternate: { type: 'string' },
    /** With --alternate: group by owner (package or runtime folder) or by the sampled frame. */
    by: { type: 'string', default: 'owner' },
    /** With --alternate: also each slice's µs per request in the frames named so (--by frame). */
    frame: { type: 'string' },
  },
});
const log = benchLog('observability-profile');

/** The package or runtime folder that owns a sample; natives with no script frame by name. */
function ownerGroup(url: string, functionName: string): string {
  if (url === '')
    return functionName.startsWith('(') ? functionName : '(node internals, no script frame)';
  const pkg = /\/node_modules\/((@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg !== null) return pkg[1] as string;
  const ours = /\/runtime\/dist\/([^/]+)\//.exec(url);
  return ours !== null ? `runtime/${ours[1] as string}` : url;
}

const isObservabilityCode = (url: string): boolean =>
  url.includes('/@opentelemetry/') || url.includes('/runtime/dist/observability/');

type SliceKind = 'traced' | 'untraced';

interface Window {
  readonly kind: SliceKind;
  /** CLOCK_MONOTONIC µs, comparable with the profile's sample times. */
  readonly from: number;
  readonly to: number;
  readonly requests: number;
}

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** --alternate: runs the slices, then compares the two kinds owner by owner. */
async function alternate(rounds: number): Promise<void> {
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
      env: { ...variantEnv('tracing-0', sink.endpoint), BATCH_DISPATCH: 'delay' },
    }),
  );
  const windows: Window[] = [];
  try {
    const request = loadRequest('v2', model, 1);
    const slice = async (kind: SliceKind, seconds: number): Promise<Window> => {
      const from = monotonicMicros();
      const result = await measureCell({
        url: ourInferUrl(model, port),
        body: request.body,
        contentType: request.contentType,
        headers: request.headers,
        connections: Number(args.concurrency),
        seconds,
        warmupSeconds: 0,
        traceparentEvery: 10,
        traceparentSampled: kind === 'traced',
      });
      return { kind, from, to: monotonicMicros(), requests: result.requests };
    };
    await slice('traced', 2);
    await slice('untraced', 2);
    for (let round = 1; round <= rounds; round++) {
      const kinds: SliceKind[] = round % 2 === 1 ? ['untraced', 'traced'] : ['traced', 'untraced'];
      for (const kind of kinds) windows.push(await slice(kind, Number(args.seconds)));
    }
  } finally {
    await server.stop();
    await sink.close();
  }
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}; see ${dir}/runtime.log`);
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
  process.stdout.write(`${join(dir, file)}\n${compareKinds(profile, windows)}\n`);
  if (args.frame !== undefined) process.stdout.write(`${bySlice(profile, windows, args.frame)}\n`);
}

function perRequestByOwner(profile: CpuProfile, windows: readonly Window[]): Map<string, number> {
  const requests = windows.reduce((sum, w) => sum + w.requests, 0);
  const inside = (at: number): boolean => windows.some((w) => at >= w.from && at < w.to);
  const group =
    args.by === 'frame'
      ? (url: string, name: string): string =>
          `${url.replace(/^.*\/(node_modules|runtime\/dist)\//, '')} ${name || '(anonymous)'}`
      : ownerGroup;
  const ms = ownerTime(profile, group, inside);
  return new Map([...ms].map(([owner, t]) => [owner, (t * 1000) / Math.max(1, requests)]));
}

/** Each slice: its kind, req/s, µs per request in all frames and in frames matching `frame`. */
function bySlice(profile: CpuProfile, windows: readonly Window[], frame: string): string {
  return windows
    .map((w) => {
      const byFrame = perRequestByOwner(profile, [w]);
      let all = 0;
      let matched = 0;
      for (const [name, us] of byFrame) {
        all += us;
        if (name.includes(frame)) matched += us;
      }
      const rps = (w.requests * 1e6) / (w.to - w.from);
      return `${w.kind.padEnd(9)} ${rps.toFixed(0).padStart(6)} req/s ${all.toFixed(1).padStart(6)} µs/req, ${matched.toFixed(2).padStart(5)} in ${frame}`;
    })
    .join('\n');
}

function compareKinds(profile: CpuProfile, windows: readonly Window[]): string {
  const untraced = perRequestByOwner(
    profile,
    windows.filter((w) => w.kind === 'untraced'),
  );
  const traced = perRequestByOwner(
    profile,
    windows.filter((w) => w.kind === 'traced'),
  );
  const owners = [...new Set([...untraced.keys(), ...traced.keys()])];
  const rows = owners
    .map((o) => ({ o, u: untraced.get(o) ?? 0, t: traced.get(o) ?? 0 }))
    .sort((a, b) => b.t - b.u - (a.t - a.u));
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const line = (name: string, u: number, t: number): string =>
    `${u.toFixed(2).padStart(8)} ${t.toFixed(2).padStart(8)} ${(t - u >= 0 ? '+' : '') + (t - u).toFixed(2)}  ${name}`;
  return [
    'main thread µs per request by owner: untraced, 10 % traced, difference',
    line('all', sum(untraced), sum(traced)),
    ...rows.slice(0, Number(args.top)).map((r) => line(r.o, r.u, r.t)),
  ].join('\n');
}

async function main(): Promise<void> {
  if (args.alternate !== undefined) return alternate(Number(args.alternate));
  const variant = args.variant;
  if (!isVariant(variant)) throw new Error(`unknown --variant ${variant}; see variants.ts`);
  const model = await loadBenchModel('tiny');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'md-obs-profile-'));
  const sink = await startOtlpSink();
  const spec = ourRuntimeSpec({
    model,
    port,
    batching: true,
    logFile: join(dir, 'runtime.log'),
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    env: variantEnv(variant, sink.endpoint),
  });
  const server = await ServerProcess.start(spec);
  let requests = 0;
  try {
    const request = loadRequest('v2', model, 1);
    const before = await batchTotals(port);
    const result = await measureCell({
      url: ourInferUrl(model, port),
      body: request.body,
      contentType: request.contentType,
      headers: request.headers,
      connections: Number(args.concurrency),
      seconds: Number(args.seconds),
      warmupSeconds: 1,
    });
    log(`${variant}: ${result.requests} requests, ${Math.round(result.rps)} req/s`);
    requests = result.requests;
    const after = await batchTotals(port);
    log(
      `${variant}: ${((after.rows - before.rows) / Math.max(1, after.runs - before.runs)).toFixed(1)} rows per session run`,
    );
  } finally {
    await server.stop();
    await sink.close();
  }
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}; see ${dir}/runtime.log`);
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
  process.stdout.write(`${join(dir, file)}\n`);
  process.stdout.write(topSelfTime(profile, Number(args.top), args.filter).join('\n') + '\n');
  const share = stackShare(profile, isObservabilityCode);
  const pct = (ms: number): string => `${((ms / share.busyMs) * 100).toFixed(1)} %`;
  process.stdout.write(
    `main thread busy ${share.busyMs.toFixed(0)} ms: ${pct(share.matchedMs)} in tracing or payload-logging code (OpenTelemetry, runtime/dist/observability), ${pct(share.gcMs)} garbage collection\n`,
  );
  // Per request (warm-up and start-up included in the time, so an over-estimate of a few %,
  // the same for every configuration): to compare two configurations' profiles.
  const groups = [...ownerTime(profile, ownerGroup).entries()].sort((a, b) => b[1] - a[1]);
  process.stdout.write(
    `main thread µs per request by owner:\n${groups.map(([g, ms]) => `  ${((ms * 1000) / Math.max(1, requests)).toFixed(1).padStart(7)}  ${g}`).join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench/observability/profile: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
