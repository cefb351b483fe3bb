/**
 * Where one configuration of bench/observability spends the runtime's CPU: runs the runtime
 * (runtime/dist, built beforehand) under `node --cpu-prof`, drives it with wrk, and prints the
 * frames with the most self time.
 *
 *   node --import tsx bench/observability/profile.ts [--variant tracing-0] [--seconds 8]
 *        [--concurrency 64] [--top 30] [--filter observability]
 *   node --import tsx bench/observability/profile.ts --alternate 8 --seconds 3 [--by frame]
 *        [--frame "reply.js writev"]
 *
 * Variants as in run.ts, plus tracing-0 (tracing on, nothing sampled: the path every unsampled
 * request takes). --filter keeps frames whose script path holds the text (the rest are summed
 * in one line), to see our own code among node's and fastify's. Last, the share of the busy
 * main thread spent in tracing and payload-logging code and the natives it calls (stackShare).
 */
import { parseArgs } from 'node:util';
import { benchLog } from '../lib/bench-run.js';
import { batchTotals } from '../lib/batch-totals.js';
import { measureCell } from '../lib/wrk.js';
import { ownerGroup, ownerTime, stackShare, topSelfTime } from './cpu-profile.js';
import { profileRuntime, type ProfiledTarget } from './profiled-runtime.js';
import { alternateSlices, bySlice, compareKinds, type Grouping } from './slice-profile.js';
import { isVariant, variantEnv } from './variants.js';

const { values: args } = parseArgs({
  options: {
    variant: { type: 'string', default: 'tracing-0' },
    seconds: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '64' },
    top: { type: 'string', default: '30' },
    filter: { type: 'string' },
    /**
     * Rounds of a traced and an untraced slice in one runtime, and each owner's main-thread µs
     * per request in each kind and their difference (slice-profile.ts).
     */
    alternate: { type: 'string' },
    /** With --alternate: group by owner (package or runtime folder) or by the sampled frame. */
    by: { type: 'string', default: 'owner' },
    /** With --alternate: also each slice's µs per request in the frames named so (--by frame). */
    frame: { type: 'string' },
  },
});
const log = benchLog('observability-profile');

const isObservabilityCode = (url: string): boolean =>
  url.includes('/@opentelemetry/') || url.includes('/runtime/dist/observability/');

async function alternate(rounds: number): Promise<void> {
  if (args.by !== 'owner' && args.by !== 'frame')
    throw new Error(`--by must be owner or frame, not ${args.by}`);
  const by: Grouping = args.by;
  const {
    file,
    profile,
    driven: windows,
  } = await profileRuntime(
    (endpoint) => ({ ...variantEnv('tracing-0', endpoint), BATCH_DISPATCH: 'delay' }),
    (t) => alternateSlices(t, rounds, Number(args.seconds), Number(args.concurrency)),
  );
  process.stdout.write(`${file}\n${compareKinds(profile, windows, by, Number(args.top))}\n`);
  if (args.frame !== undefined) process.stdout.write(`${bySlice(profile, windows, args.frame)}\n`);
}

/** One slice of `variant`; its answered requests. */
async function driveVariant(variant: string, t: ProfiledTarget): Promise<number> {
  const before = await batchTotals(t.port);
  const result = await measureCell({
    url: t.url,
    body: t.request.body,
    contentType: t.request.contentType,
    headers: t.request.headers,
    connections: Number(args.concurrency),
    seconds: Number(args.seconds),
    warmupSeconds: 1,
  });
  log(`${variant}: ${result.requests} requests, ${Math.round(result.rps)} req/s`);
  const after = await batchTotals(t.port);
  log(
    `${variant}: ${((after.rows - before.rows) / Math.max(1, after.runs - before.runs)).toFixed(1)} rows per session run`,
  );
  return result.requests;
}

async function main(): Promise<void> {
  if (args.alternate !== undefined) return alternate(Number(args.alternate));
  const variant = args.variant;
  if (!isVariant(variant)) throw new Error(`unknown --variant ${variant}; see variants.ts`);
  const {
    file,
    profile,
    driven: requests,
  } = await profileRuntime(
    (endpoint) => variantEnv(variant, endpoint),
    (t) => driveVariant(variant, t),
  );
  process.stdout.write(`${file}\n`);
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
