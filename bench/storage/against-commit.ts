/**
 * The runtime's s3:// download at an older commit against the current checkout, in one run
 * on one versitygw, so a change to the download path is ranked by alternating pairs rather
 * than by two runs minutes apart on a shared machine (docs/benchmarks.md, "Model download
 * from S3 (issue 19)"). curl runs once per pair as the common yardstick.
 *
 *   node --import tsx bench/storage/against-commit.ts --base <commit> [--mib 200] [--runs 8]
 *
 * The base's runtime/ and download child come from `git archive`, next to a symlink to
 * this checkout's node_modules; each pair runs in alternating order.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startS3Server, type S3Server } from '../../test/support/s3-server.js';
import { benchLog } from '../lib/bench-run.js';
import { currentLoad, machineInfo } from '../lib/machine.js';
import { REPO_ROOT } from '../lib/models.js';
import { median } from '../lib/percentile.js';
import { childDownload, curlDownload } from './downloads.js';

const run = promisify(execFile);
const log = benchLog('storage-ab');
const MIB = 2 ** 20;
const CHILD = 'bench/storage/download-child.ts';

interface Sample {
  readonly ms: number;
  readonly rssGrowthMiB: number;
}

const loadAverage = (): string => currentLoad().join(' ');

/** The base commit's download code in a directory of its own, resolving this checkout's modules. */
async function extractBase(commit: string, dir: string): Promise<string> {
  const tar = join(dir, 'base.tar');
  // The package.json files make the .ts files ES modules, as in the checkout.
  await run('git', ['archive', '-o', tar, commit, 'package.json', 'runtime', CHILD], {
    cwd: REPO_ROOT,
  });
  await run('tar', ['-xf', tar, '-C', dir]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, CHILD);
}

async function curlMs(s3: S3Server, file: string): Promise<number> {
  const ms = await curlDownload(`${s3.endpoint}/bench/model.bin`, s3, file);
  rmSync(file);
  return ms;
}

async function childSample(script: string, s3: S3Server, cacheDir: string): Promise<Sample> {
  mkdirSync(cacheDir);
  try {
    const r = await childDownload(script, s3.endpoint, s3, cacheDir);
    return { ms: r.ms, rssGrowthMiB: (r.peakRssBytes - r.idleRssBytes) / MIB };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      base: { type: 'string' },
      mib: { type: 'string', default: '200' },
      runs: { type: 'string', default: '8' },
      out: { type: 'string' },
    },
  });
  if (values.base === undefined) throw new Error('--base <commit> is required');
  const runs = Number(values.runs);
  const machine = await machineInfo();
  const loadAtStart = loadAverage();
  log(`base ${values.base} vs ${machine.gitCommit}, load ${loadAtStart}`);
  const dir = mkdtempSync(join(tmpdir(), 'md-bench-storage-ab-'));
  const s3 = await startS3Server();
  try {
    const scripts = { base: await extractBase(values.base, dir), current: CHILD };
    await s3.put('bench', 'model.bin', randomBytes(Number(values.mib) * MIB));
    const samples = { curl: [] as number[], base: [] as Sample[], current: [] as Sample[] };
    for (let i = 0; i < runs; i++) {
      samples.curl.push(await curlMs(s3, join(dir, 'curl.bin')));
      const order = i % 2 === 0 ? (['base', 'current'] as const) : (['current', 'base'] as const);
      for (const which of order) {
        samples[which].push(await childSample(scripts[which], s3, join(dir, `${which}-${i}`)));
      }
      log(
        `pair ${i + 1}: curl ${samples.curl[i]?.toFixed(0)} ms, base ${samples.base[i]?.ms.toFixed(0)} ms, current ${samples.current[i]?.ms.toFixed(0)} ms`,
      );
    }
    const medians = {
      curlMs: median(samples.curl),
      baseMs: median(samples.base.map((s) => s.ms)),
      currentMs: median(samples.current.map((s) => s.ms)),
      baseRssGrowthMiB: median(samples.base.map((s) => s.rssGrowthMiB)),
      currentRssGrowthMiB: median(samples.current.map((s) => s.rssGrowthMiB)),
    };
    const loadAtEnd = loadAverage();
    process.stdout.write(
      `median ms: curl ${medians.curlMs.toFixed(0)}, base ${medians.baseMs.toFixed(0)} (${((medians.curlMs / medians.baseMs) * 100).toFixed(0)} % of curl), current ${medians.currentMs.toFixed(0)} (${((medians.curlMs / medians.currentMs) * 100).toFixed(0)} % of curl); RSS growth MiB: base ${medians.baseRssGrowthMiB.toFixed(0)}, current ${medians.currentRssGrowthMiB.toFixed(0)}; load ${loadAtStart} -> ${loadAtEnd}\n`,
    );
    const out =
      values.out ??
      join(
        REPO_ROOT,
        'bench',
        'results',
        `storage-ab-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
      );
    const command = `node --import tsx bench/storage/against-commit.ts --base ${values.base} --mib ${values.mib} --runs ${runs}`;
    await writeFile(
      out,
      `${JSON.stringify({ command, machine, loadAtStart, loadAtEnd, base: values.base, samples, medians }, null, 2)}\n`,
    );
    log(`wrote ${out}`);
  } finally {
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
