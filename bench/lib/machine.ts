import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './models.js';

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  readonly loadAtStart: readonly number[];
  readonly node: string;
  readonly onnxruntimeNode: string;
  readonly fastify: string;
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
