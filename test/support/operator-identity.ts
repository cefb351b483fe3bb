/**
 * The kubeconfig the operator runs with in integration tests: the chart's ServiceAccount
 * bound to the chart's RBAC (rendered with helm), so every test that passes proves those
 * permissions are enough.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceAccountKubeconfig } from '../cluster/service-account.js';
import { installOperatorRbac } from './operator-rbac.js';

export interface OperatorIdentityInput {
  adminKubeconfig: string;
  adminKubeconfigPath: string;
  binDir: string;
  /** Where the chart is "installed" (its ServiceAccount and leader-election Role live here). */
  namespace: string;
}

/** Writes a kubeconfig for the chart's ServiceAccount and returns its path. */
export async function operatorKubeconfig(input: OperatorIdentityInput): Promise<string> {
  const { serviceAccount } = await installOperatorRbac(
    input.adminKubeconfigPath,
    input.binDir,
    input.namespace,
  );
  const creds = await serviceAccountKubeconfig(
    input.adminKubeconfig,
    input.namespace,
    serviceAccount,
    {
      create: false,
      expirationSeconds: 7200,
    },
  );
  const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-operator-sa-'));
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, creds.kubeconfig, { mode: 0o600 });
  return path;
}
