/**
 * profile.ts --alternate: one runtime (tracing on, no root trace sampled) profiled through
 * alternating slices, as same-process.ts runs them: in one kind every tenth request carries a
 * sampled caller's traceparent, in the other an unsampled one. The samples are split by slice
 * (the profile's sample times and the slices' windows are both CLOCK_MONOTONIC), so each
 * owner's or frame's main-thread µs per request can be compared between the kinds: where
 * tracing's cost lands, GC and fastify included.
 */
import { driveSlice, roundOrder } from './slice-load.js';
import { ownerGroup, ownerTime, type CpuProfile } from './cpu-profile.js';
import type { ProfiledTarget } from './profiled-runtime.js';

export type SliceKind = 'traced' | 'untraced';

export interface SliceWindow {
  readonly kind: SliceKind;
  /** CLOCK_MONOTONIC µs, comparable with the profile's sample times. */
  readonly from: number;
  readonly to: number;
  readonly requests: number;
}

/** How samples are grouped: by owner (package or runtime folder) or by the sampled frame. */
export type Grouping = 'owner' | 'frame';

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** Two warm-up slices, then `rounds` pairs in alternating order; the pairs' windows. */
export async function alternateSlices(
  t: ProfiledTarget,
  rounds: number,
  seconds: number,
  connections: number,
): Promise<SliceWindow[]> {
  const load = {
    url: t.url,
    request: t.request,
    connections,
    every: 10,
    traceparentWhenUntraced: true,
  };
  const slice = async (kind: SliceKind, secs: number): Promise<SliceWindow> => {
    const from = monotonicMicros();
    const result = await driveSlice(load, kind === 'traced', secs);
    return { kind, from, to: monotonicMicros(), requests: result.requests };
  };
  await slice('traced', 2);
  await slice('untraced', 2);
  const windows: SliceWindow[] = [];
  for (let round = 1; round <= rounds; round++)
    for (const kind of roundOrder<SliceKind>(round, 'untraced', 'traced'))
      windows.push(await slice(kind, seconds));
  return windows;
}

const frameGroup = (url: string, name: string): string =>
  `${url.replace(/^.*\/(node_modules|runtime\/dist)\//, '')} ${name || '(anonymous)'}`;

/** Main-thread µs per request inside `windows`, by group. */
function perRequest(
  profile: CpuProfile,
  windows: readonly SliceWindow[],
  by: Grouping,
): Map<string, number> {
  const requests = windows.reduce((sum, w) => sum + w.requests, 0);
  const inside = (at: number): boolean => windows.some((w) => at >= w.from && at < w.to);
  const ms = ownerTime(profile, by === 'frame' ? frameGroup : ownerGroup, inside);
  return new Map([...ms].map(([group, t]) => [group, (t * 1000) / Math.max(1, requests)]));
}

const total = (m: ReadonlyMap<string, number>): number =>
  [...m.values()].reduce((a, b) => a + b, 0);

/** Lines "untraced traced difference group", the `top` largest differences first. */
export function compareKinds(
  profile: CpuProfile,
  windows: readonly SliceWindow[],
  by: Grouping,
  top: number,
): string {
  const of = (kind: SliceKind): Map<string, number> =>
    perRequest(
      profile,
      windows.filter((w) => w.kind === kind),
      by,
    );
  const untraced = of('untraced');
  const traced = of('traced');
  const rows = [...new Set([...untraced.keys(), ...traced.keys()])]
    .map((g) => ({ g, u: untraced.get(g) ?? 0, t: traced.get(g) ?? 0 }))
    .sort((a, b) => b.t - b.u - (a.t - a.u));
  const line = (name: string, u: number, t: number): string =>
    `${u.toFixed(2).padStart(8)} ${t.toFixed(2).padStart(8)} ${(t - u >= 0 ? '+' : '') + (t - u).toFixed(2)}  ${name}`;
  return [
    `main thread µs per request by ${by}: untraced, 10 % traced, difference`,
    line('all', total(untraced), total(traced)),
    ...rows.slice(0, top).map((r) => line(r.g, r.u, r.t)),
  ].join('\n');
}

/** Each slice: its kind, req/s, µs per request in all frames and in frames matching `frame`. */
export function bySlice(
  profile: CpuProfile,
  windows: readonly SliceWindow[],
  frame: string,
): string {
  return windows
    .map((w) => {
      const byFrame = perRequest(profile, [w], 'frame');
      let matched = 0;
      for (const [name, us] of byFrame) if (name.includes(frame)) matched += us;
      const rps = (w.requests * 1e6) / (w.to - w.from);
      return `${w.kind.padEnd(9)} ${rps.toFixed(0).padStart(6)} req/s ${total(byFrame).toFixed(1).padStart(6)} µs/req, ${matched.toFixed(2).padStart(5)} in ${frame}`;
    })
    .join('\n');
}
