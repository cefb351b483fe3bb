/** Runs the installed kubectl-mdep executable the way kubectl would, for the plugin tests. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PLUGIN_BIN = fileURLToPath(
  new URL('../../../node_modules/.bin/kubectl-mdep', import.meta.url),
);
export const BIN_DIR = fileURLToPath(new URL('../../../node_modules/.bin', import.meta.url));

export interface PluginResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `command args` with `env` added; resolves with the exit code and both streams. */
export function runProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
): Promise<PluginResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** kubectl-mdep with KUBECONFIG set, as a user's shell would run it. */
export function mdep(
  kubeconfig: string,
  args: readonly string[],
  stdin?: string,
): Promise<PluginResult> {
  return runProcess(PLUGIN_BIN, args, { KUBECONFIG: kubeconfig }, stdin);
}
