/**
 * What the integration tests share: kubectl against the globalSetup cluster, a fresh
 * namespace per test file, and polling for what controllers do asynchronously.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { kubectl, kubectlOk, type KubectlResult } from '../../cluster/kubectl.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { operatorKubeconfig } from '../../support/operator-identity.js';

export function kubectlBin(): string {
  return join(inject('binDir'), 'kubectl');
}

/** kubectl as the admin; resolves with exit code and output. */
export function k(args: readonly string[], stdin?: string): Promise<KubectlResult> {
  return kubectl(kubectlBin(), inject('kubeconfigPath'), args, stdin);
}

/** kubectl as the admin that must succeed; returns stdout. */
export function kOk(args: readonly string[], stdin?: string): Promise<string> {
  return kubectlOk(kubectlBin(), inject('kubeconfigPath'), args, stdin);
}

/** kubectl get ... -o json, parsed. */
export async function getJson<T>(args: readonly string[]): Promise<T> {
  return JSON.parse(await kOk(['get', ...args, '-o', 'json'])) as T;
}

export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await kOk(['create', 'namespace', name]);
  return name;
}

/** Poll until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The operator as the chart installs it (its ServiceAccount and RBAC, no more), watching one
 * namespace of the test cluster.
 */
export async function startOperatorFor(
  namespace: string,
  env: Record<string, string> = {},
): Promise<OperatorProcess> {
  return OperatorProcess.start({
    kubeconfigPath: await operatorKubeconfig({
      adminKubeconfig: inject('kubeconfig'),
      adminKubeconfigPath: inject('kubeconfigPath'),
      binDir: inject('binDir'),
      namespace,
    }),
    namespaces: [namespace],
    env,
  });
}
