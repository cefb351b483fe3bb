/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) that self time needs. */
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface ProfileNode {
  readonly id: number;
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
