import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LoadCount } from '../runtime/load-client.js';
import { REPO_ROOT } from './models.js';

/**
 * Runs bench/runtime/load-client.ts as its own process (its CPU is not the server's) and
 * resolves with its count. `onLoadStart` runs when the measured interval begins (after the
 * warm-up), e.g. to read the server's CPU time.
 */
export function runLoadClient(
  args: readonly string[],
  onLoadStart: () => void = () => undefined,
): Promise<LoadCount> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'bench', 'runtime', 'load-client.ts'), ...args],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    let started = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!started && out.includes('LOAD_START')) {
        started = true;
        onLoadStart();
      }
    });
    child.on('close', (code) => {
      const line = /LOAD_JSON (.+)/.exec(out)?.[1];
      if (code !== 0 || line === undefined || !started)
        return reject(new Error(`load-client ${args.join(' ')} failed (exit ${code})`));
      resolve(JSON.parse(line) as LoadCount);
    });
  });
}
