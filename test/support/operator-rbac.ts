/**
 * Installs the Helm chart's ServiceAccount and RBAC (nothing else) into a test cluster, so
 * an operator run with that ServiceAccount's token proves the chart grants enough.
 *
 *   const { serviceAccount, namespace } = await installOperatorRbac(kubeconfigPath, binDir, ns);
 *   const sa = await serviceAccountKubeconfig(adminKubeconfig, namespace, serviceAccount);
 *   // run the operator with KUBECONFIG=<sa kubeconfig>, LEADER_ELECTION_NAMESPACE=<namespace>
 */
import { join } from 'node:path';
import { kubectlOk } from '../cluster/kubectl.js';
import { helmTemplate } from './helm-chart.js';

/** The chart templates that hold the operator's identity and permissions. */
export const RBAC_TEMPLATES = [
  'templates/serviceaccount.yaml',
  'templates/rbac.yaml',
  'templates/leader-election-rbac.yaml',
] as const;

/** Helm release names are at most 53 characters. */
function releaseName(namespace: string): string {
  return `modeldeploy-${namespace}`.slice(0, 53).replace(/-+$/, '');
}

export interface OperatorRbacOptions {
  /**
   * Render the namespaced variant (a Role and RoleBinding in each of these namespaces, no
   * ClusterRole), as `--set watchNamespaces=...` does. Default: the ClusterRole variant.
   */
  readonly watchNamespaces?: readonly string[];
  /** Grant the leader-election Lease Role in `namespace` (default true). */
  readonly leaderElection?: boolean;
}

/**
 * Renders the chart's ServiceAccount, (Cluster)Role(s), bindings and leader-election Role
 * with `helm template` for a release in `namespace`, creates the namespace if needed and
 * applies them as the admin of `kubeconfigPath`. The release is named
 * `modeldeploy-<namespace>`, so the cluster-scoped ClusterRole and ClusterRoleBinding of
 * different namespaces do not collide; the ServiceAccount has the same name. Idempotent.
 */
export async function installOperatorRbac(
  kubeconfigPath: string,
  binDir: string,
  namespace: string,
  options: OperatorRbacOptions = {},
): Promise<{ serviceAccount: string; namespace: string }> {
  const release = releaseName(namespace);
  const values: Record<string, unknown> = {
    leaderElection: { enabled: options.leaderElection ?? true },
    // The aggregated user roles are cluster-wide and for people, not for the operator.
    rbac: { create: true, aggregateToDefaultRoles: false },
  };
  if (options.watchNamespaces) values.watchNamespaces = [...options.watchNamespaces];
  const rendered = await helmTemplate(binDir, {
    release,
    namespace,
    values,
    // helm refuses --show-only for a template that renders nothing.
    showOnly: RBAC_TEMPLATES.filter(
      (t) => t !== 'templates/leader-election-rbac.yaml' || options.leaderElection !== false,
    ),
  });
  const namespaces = [namespace, ...(options.watchNamespaces ?? [])];
  const namespaceDocs = [...new Set(namespaces)]
    .map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n---\n`)
    .join('');
  await kubectlOk(
    join(binDir, 'kubectl'),
    kubeconfigPath,
    ['apply', '--server-side', '--field-manager=modeldeploy-test-rbac', '-f', '-'],
    namespaceDocs + rendered,
  );
  // With serviceAccount.create the chart names the ServiceAccount like the release.
  return { serviceAccount: release, namespace };
}

/**
 * Deletes what installOperatorRbac made outside `namespace` (its ClusterRole and
 * ClusterRoleBinding: deleting the namespace does not take them along). The namespaced
 * objects go with the namespace.
 */
export async function removeOperatorRbac(
  kubeconfigPath: string,
  binDir: string,
  namespace: string,
): Promise<void> {
  await kubectlOk(join(binDir, 'kubectl'), kubeconfigPath, [
    'delete',
    'clusterrole,clusterrolebinding',
    '--ignore-not-found',
    '-l',
    `app.kubernetes.io/instance=${releaseName(namespace)}`,
  ]);
}
