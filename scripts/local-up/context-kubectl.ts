/**
 * kubectl and helm aimed at one named context of the user's kubeconfig: `--context` is
 * always passed, so nothing ever goes to the current context by accident.
 */
import { spawn } from 'node:child_process';
import type { KubectlResult } from '../../test/cluster/kubectl.js';

export interface ContextTarget {
  readonly context: string;
  /** --kubeconfig FILE; otherwise kubectl's own rules (KUBECONFIG, ~/.kube/config). */
  readonly kubeconfig?: string;
}

export type Run = (args: readonly string[], stdin?: string) => Promise<KubectlResult>;

/** Runs `bin args`; resolves with exit code and output, never rejects on a non-zero exit. */
export function runTool(
  bin: string,
  args: readonly string[],
  stdin?: string,
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', (err) => reject(new Error(`${bin}: ${err.message}`, { cause: err })));
    child.once('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(stdin ?? '');
  });
}

export function targetArgs(target: ContextTarget): string[] {
  return [
    ...(target.kubeconfig !== undefined ? [`--kubeconfig=${target.kubeconfig}`] : []),
    `--context=${target.context}`,
  ];
}

export function contextKubectl(kubectlBin: string, target: ContextTarget): Run {
  return (args, stdin) => runTool(kubectlBin, [...targetArgs(target), ...args], stdin);
}

export function contextHelm(helmBin: string, target: ContextTarget): Run {
  const args = [
    ...(target.kubeconfig !== undefined ? [`--kubeconfig=${target.kubeconfig}`] : []),
    `--kube-context=${target.context}`,
  ];
  return (rest, stdin) => runTool(helmBin, [...args, ...rest], stdin);
}

/** Runs and throws with the command and its stderr when it fails; resolves with stdout. */
export async function runOk(run: Run, args: readonly string[], stdin?: string): Promise<string> {
  const res = await run(args, stdin);
  if (res.code !== 0) throw new Error(`${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
  return res.stdout;
}
