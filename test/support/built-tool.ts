import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Path of a Go test tool that test/cluster/<script> builds through cached-build.sh, for the
 * current pins, without building it: the suites never build in a test's time. `envVar`
 * names a prebuilt binary instead.
 */
export async function builtToolBinary(
  script: string,
  bin: string,
  envVar: string,
): Promise<string> {
  const preset = process.env[envVar];
  if (preset !== undefined && preset !== '') return preset;
  const path = fileURLToPath(new URL(`../cluster/${script}`, import.meta.url));
  const dir = (await execFileAsync('bash', [path, '--dir'])).stdout.trim();
  const binary = join(dir, 'bin', bin);
  if (!existsSync(join(dir, '.complete')) || !existsSync(binary)) {
    throw new Error(
      `no finished ${bin} build in ${dir}; run scripts/setup.sh --test (or test/cluster/${script}) to build it`,
    );
  }
  return binary;
}
