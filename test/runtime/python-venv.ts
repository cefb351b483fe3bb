import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

/**
 * The python of the venv test/python/setup-venv.sh installs (scripts/setup.sh --test runs
 * it); throws, saying what to run, when it is missing or older than requirements.txt. Tests
 * never install from PyPI themselves.
 */
export function testVenvPython(): string {
  const venv = process.env['TEST_VENV'] ?? join(homedir(), '.cache', 'modeldeploy', 'test-venv');
  const want = createHash('sha256')
    .update(readFileSync(join(ROOT, 'test', 'python', 'requirements.txt')))
    .digest('hex');
  const stamp = join(venv, '.requirements.sha256');
  const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  if (have !== want) {
    throw new Error(
      `the Python test clients are ${have === undefined ? 'not installed' : 'out of date'} in ${venv}; run bash test/python/setup-venv.sh (scripts/setup.sh --test does)`,
    );
  }
  return join(venv, 'bin', 'python');
}

/** Runs a script of test/python with the venv's python; resolves with its stdout as JSON. */
export function runPythonJson(script: string, args: readonly string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      testVenvPython(),
      [join(ROOT, 'test', 'python', script), ...args],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err !== null) return reject(new Error(`${script} failed: ${err.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout) as unknown);
        } catch {
          reject(new Error(`${script} printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
