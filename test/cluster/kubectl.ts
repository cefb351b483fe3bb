import { spawn } from 'node:child_process';

export interface KubectlResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/**
 * Run the harness-built kubectl against a kubeconfig file. Never throws on a non-zero
 * exit: tests that expect a refusal read `code` and `stderr`; see kubectlOk for the rest.
 */
export function kubectl(
  kubectlBin: string,
  kubeconfigPath: string,
  args: readonly string[],
  stdin?: string,
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlBin, [`--kubeconfig=${kubeconfigPath}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(stdin ?? '');
  });
}

/** kubectl that must succeed; the error names the command and repeats kubectl's stderr. */
export async function kubectlOk(
  kubectlBin: string,
  kubeconfigPath: string,
  args: readonly string[],
  stdin?: string,
): Promise<string> {
  const res = await kubectl(kubectlBin, kubeconfigPath, args, stdin);
  if (res.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
  }
  return res.stdout;
}
