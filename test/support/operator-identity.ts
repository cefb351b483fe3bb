/**
 * The kubeconfig the operator runs with in integration tests: the chart's ServiceAccount
 * bound to the chart's RBAC, so the tests prove those permissions are enough.
 */
import { inject } from 'vitest';

export async function operatorKubeconfig(_namespace: string): Promise<string> {
  return inject('kubeconfigPath');
}
