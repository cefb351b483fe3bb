/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) that self time needs. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** When sampling began, µs of CLOCK_MONOTONIC (what process.hrtime reads in other processes). */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

/**
 * Lines "self % ms function file:line" for the frames with the most self time, most first.
 * Each sample's time is the delta to the next sample, as V8's DevTools count it. With `filter`,
 * only frames whose script URL holds it are listed; the others are summed in a last line.
 */
export function topSelfTime(profile: CpuProfile, top: number, filter?: string): string[] {
  const frameOf = new Map<number, string>();
  const urlOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.replace(/^.*\/(node_modules|runtime\/dist)\//, '$1/');
    frameOf.set(node.id, `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`);
    urlOf.set(node.id, url);
  }
  const selfMs = new Map<string, number>();
  let totalMs = 0;
  let otherMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    totalMs += ms;
    if (filter !== undefined && !(urlOf.get(id) ?? '').includes(filter)) {
      otherMs += ms;
      return;
    }
    const frame = frameOf.get(id) ?? `node ${id}`;
    selfMs.set(frame, (selfMs.get(frame) ?? 0) + ms);
  });
  const pct = (ms: number): string => ((ms / totalMs) * 100).toFixed(2).padStart(6);
  const lines = [...selfMs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, ms]) => `${pct(ms)} % ${ms.toFixed(0).padStart(6)} ms  ${frame}`);
  lines.push(`total ${totalMs.toFixed(0)} ms sampled`);
  if (filter !== undefined) lines.push(`${pct(otherMs)} % outside "${filter}"`);
  return lines;
}

/** Main-thread time of samples owned by code that `matches` (start-up left out). */
export interface StackShare {
  /** Sampled time that was not idle. */
  readonly busyMs: number;
  /** Of it, samples owned by matching code: its own frames and the natives it called. */
  readonly matchedMs: number;
  readonly gcMs: number;
}

const isNodeOrNative = (url: string): boolean => url === '' || url.startsWith('node:');

/**
 * How much of the busy main thread ran in code whose script URL `matches`. A sample belongs to
 * the nearest frame of a script file of its stack (Node's internals and native frames pass
 * it on to their caller), so what a function calls natively counts for it, while a fastify
 * hook's done() that runs the rest of the request counts for fastify. A share within one
 * process at one time: unlike CPU time per request, it does not move when neighbours slow
 * every instruction on a shared machine.
 */
export function stackShare(profile: CpuProfile, matches: (url: string) => boolean): StackShare {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const owner = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)?.callFrame.url ?? '';
      if (!isNodeOrNative(url)) return url;
    }
    return '';
  };
  const loading = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at))
      if ((byId.get(at)?.callFrame.url ?? '').startsWith('node:internal/modules/')) return true;
    return false;
  };
  return shareOf(profile, byId, owner, loading, matches);
}

function shareOf(
  profile: CpuProfile,
  byId: ReadonlyMap<number, ProfileNode>,
  owner: (id: number) => string,
  loading: (id: number) => boolean,
  matches: (url: string) => boolean,
): StackShare {
  let busyMs = 0;
  let matchedMs = 0;
  let gcMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const name = byId.get(id)?.callFrame.functionName;
    // Loading and evaluating modules at start-up is not serving: left out of both counts.
    if (name === '(idle)' || loading(id)) return;
    busyMs += ms;
    if (name === '(garbage collector)') gcMs += ms;
    if (matches(owner(id))) matchedMs += ms;
  });
  return { busyMs, matchedMs, gcMs };
}

/**
 * Busy main-thread time by who owns each sample (as in stackShare: the nearest script frame of
 * its stack), grouped by `groupOf(ownerUrl, functionName)`: to compare two configurations per
 * request, including time no script frame owns (GC, node's internals run from the event loop,
 * such as an HTTP client's socket callbacks).
 */
export function ownerTime(
  profile: CpuProfile,
  groupOf: (ownerUrl: string, functionName: string) => string,
  keep: (atMicros: number) => boolean = () => true,
): Map<string, number> {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const ownerCache = new Map<number, string>();
  const owner = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached !== undefined) return cached;
    let found = '';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)?.callFrame.url ?? '';
      if (!isNodeOrNative(url)) {
        found = url;
        break;
      }
    }
    ownerCache.set(id, found);
    return found;
  };
  const out = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const name = byId.get(id)?.callFrame.functionName ?? '';
    if (name === '(idle)' || !keep(at)) return;
    const group = groupOf(owner(id), name);
    out.set(group, (out.get(group) ?? 0) + ms);
  });
  return out;
}

/** The package or runtime folder that owns a sample; natives with no script frame by name. */
export function ownerGroup(url: string, functionName: string): string {
  if (url === '')
    return functionName.startsWith('(') ? functionName : '(node internals, no script frame)';
  const pkg = /\/node_modules\/((@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg !== null) return pkg[1] as string;
  const ours = /\/runtime\/dist\/([^/]+)\//.exec(url);
  return ours !== null ? `runtime/${ours[1] as string}` : url;
}
