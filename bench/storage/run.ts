/**
 * Download throughput of the runtime's s3:// path against curl on the same S3 server in the
 * same run, and the runtime's peak memory during the download (docs/benchmarks.md,
 * "Model download from S3 (issue 19)").
 *
 *   node --import tsx bench/storage/run.ts [--mib 200] [--runs 3] [--out FILE]
 *
 * versitygw (test/cluster/build-versitygw.sh) serves a random file of --mib MiB on loopback;
 * each run downloads it once with curl (--aws-sigv4) and once with bench/storage/download-child.ts
 * (the runtime's storage code in its own process), alternating, into the same directory.
 * Goals: ours >= 80 % of curl's median throughput; our peak RSS < size / 4 + idle RSS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startS3Server } from '../../test/support/s3-server.js';
import { benchLog, goalLine, type Goal } from '../lib/bench-run.js';
import { machineInfo } from '../lib/machine.js';
import { REPO_ROOT } from '../lib/models.js';
import { median } from '../lib/percentile.js';
import { childDownload, curlDownload, type ChildResult } from './downloads.js';

const log = benchLog('storage');
const MIB = 2 ** 20;
const CHILD = 'bench/storage/download-child.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mib: { type: 'string', default: '200' },
      runs: { type: 'string', default: '3' },
      out: { type: 'string' },
    },
  });
  const size = Number(values.mib) * MIB;
  const runs = Number(values.runs);
  const machine = await machineInfo();
  log(
    `${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}, commit ${machine.gitCommit}`,
  );
  const body = randomBytes(size);
  const sha = createHash('sha256').update(body).digest('hex');
  const dir = mkdtempSync(join(tmpdir(), 'md-bench-storage-'));
  const s3 = await startS3Server();
  try {
    log(`uploading ${values.mib} MiB to ${s3.endpoint}`);
    await s3.put('bench', 'model.bin', body);
    const url = `${s3.endpoint}/bench/model.bin`;
    const curlMs: number[] = [];
    const ours: ChildResult[] = [];
    for (let i = 0; i < runs; i++) {
      const file = join(dir, `curl-${i}.bin`);
      curlMs.push(await curlDownload(url, s3, file));
      const curlSha = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
      if (curlSha !== sha) throw new Error('curl downloaded a different file');
      rmSync(file);
      const cacheDir = join(dir, `ours-${i}`);
      await mkdir(cacheDir);
      const result = await childDownload(CHILD, s3.endpoint, s3, cacheDir);
      if (result.sha256 !== sha || result.bytes !== size)
        throw new Error('ours downloaded a different file');
      ours.push(result);
      rmSync(cacheDir, { recursive: true, force: true });
      log(`run ${i + 1}: curl ${curlMs[i]?.toFixed(0)} ms, ours ${result.ms.toFixed(0)} ms`);
    }
    const mibps = (ms: number): number => size / MIB / (ms / 1000);
    const curlMiBps = median(curlMs.map(mibps));
    const oursMiBps = median(ours.map((r) => mibps(r.ms)));
    const idle = median(ours.map((r) => r.idleRssBytes));
    const peak = Math.max(...ours.map((r) => r.peakRssBytes));
    const goals: Goal[] = [
      {
        goal: 'ours / curl throughput',
        value: oursMiBps / curlMiBps,
        target: 0.8,
        met: oursMiBps / curlMiBps >= 0.8,
      },
      {
        goal: 'peak RSS',
        value: peak / MIB,
        target: (size / 4 + idle) / MIB,
        met: peak < size / 4 + idle,
      },
    ];
    const lines = [
      `| tool | median MiB/s | runs (ms) |`,
      `|---|---|---|`,
      `| curl ${'--aws-sigv4'} | ${curlMiBps.toFixed(0)} | ${curlMs.map((m) => m.toFixed(0)).join(', ')} |`,
      `| runtime (s3:// via @aws-sdk/client-s3) | ${oursMiBps.toFixed(0)} | ${ours.map((r) => r.ms.toFixed(0)).join(', ')} |`,
      '',
      `runtime download process: idle RSS ${(idle / MIB).toFixed(0)} MiB, peak RSS ${(peak / MIB).toFixed(0)} MiB (model ${values.mib} MiB)`,
      goalLine(goals[0] as Goal, (n) => `${(n * 100).toFixed(0)} %`, '>= '),
      goalLine(goals[1] as Goal, (n) => `${n.toFixed(0)} MiB`, '< '),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const out =
      values.out ??
      join(
        REPO_ROOT,
        'bench',
        'results',
        `storage-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
      );
    await writeFile(
      out,
      `${JSON.stringify({ command: `node --import tsx bench/storage/run.ts --mib ${values.mib} --runs ${runs}`, machine, sizeBytes: size, curlMs, ours, curlMiBps, oursMiBps, goals }, null, 2)}\n`,
    );
    log(`wrote ${out}`);
  } finally {
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
