import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './models.js';

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  readonly loadAtStart: readonly number[];
  readonly node: string;
  readonly onnxruntimeNode: string;
  readonly fastify: string;
  /** The commit measured, and whether runtime/ had uncommitted changes when it was built. */
  readonly gitCommit: string;
  readonly runtimeUncommittedChanges: boolean;
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  return {
    cores: availableParallelism(),
    cpuModel,
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    onnxruntimeNode: await packageVersion('onnxruntime-node'),
    fastify: await packageVersion('fastify'),
    ...(await gitState()),
  };
}

export function currentLoad(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100);
}

async function packageVersion(name: string): Promise<string> {
  for (const dir of [join(REPO_ROOT, 'node_modules'), join(REPO_ROOT, 'runtime', 'node_modules')]) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, name, 'package.json'), 'utf8')) as {
        version: string;
      };
      return pkg.version;
    } catch {
      // try the next place
    }
  }
  return 'unknown';
}

async function gitState(): Promise<{ gitCommit: string; runtimeUncommittedChanges: boolean }> {
  const git = (args: string[]): Promise<string> =>
    promisify(execFile)('git', args, { cwd: REPO_ROOT }).then(
      (r) => r.stdout.trim(),
      () => '',
    );
  const gitCommit = (await git(['rev-parse', '--short', 'HEAD'])) || 'unknown';
  const dirty = await git(['status', '--porcelain', '--', 'runtime']);
  return { gitCommit, runtimeUncommittedChanges: dirty.length > 0 };
}
