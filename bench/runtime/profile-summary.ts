/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`): self time by function and by
 * package, as shares of the samples. Used for docs/benchmarks.md:
 *
 *   node --import tsx bench/runtime/profile-summary.ts CPU.….cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatTable } from '../lib/table.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package> (scoped or not), runtime/…, node:…, or the V8 pseudo-frames. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod?.[1] !== undefined) return mod[1];
  if (url.startsWith('node:')) return 'node core';
  const repo = /\/(runtime|bench)\/(src|dist|runtime|lib)\/(.+)$/.exec(url);
  if (repo !== null) return `${repo[1]}/${repo[3]?.split('/')[0] ?? ''}`;
  return url;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile>');
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where =
      url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|runtime)\//, '$1/')}:${lineNumber + 1}`;
    const fn = `${functionName || '(anonymous)'}${where}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const share = (us: number): string => `${((us / total) * 100).toFixed(1)}%`;
  const short = (label: string): string => (label.length > 80 ? `${label.slice(0, 79)}…` : label);
  const top = Number(values.top);
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  process.stdout.write(
    [
      `${file}: ${(total / 1e6).toFixed(1)} s of samples`,
      '',
      formatTable(
        ['package / area', 'self time'],
        sorted(byPackage).map(([k, v]) => [short(k), share(v)]),
      ),
      '',
      formatTable(
        ['function', 'self time'],
        sorted(byFunction).map(([k, v]) => [short(k), share(v)]),
      ),
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`profile-summary: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
