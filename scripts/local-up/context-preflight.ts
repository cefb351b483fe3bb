/**
 * What `npm start -- --context NAME` checks before it changes anything: the context
 * exists and its API server answers, and its user may install what the chart holds
 * (CustomResourceDefinitions and a ClusterRole), asked through SelfSubjectAccessReview
 * (`kubectl auth can-i`). Each refusal says what was found and what to do.
 */
import type { Run } from './context-kubectl.js';

/** Cluster-scoped objects the chart creates; the user must be allowed to create each. */
const NEEDED = [
  { resource: 'customresourcedefinitions.apiextensions.k8s.io', what: 'CustomResourceDefinitions' },
  { resource: 'clusterroles.rbac.authorization.k8s.io', what: 'ClusterRoles' },
] as const;

export class ContextRefused extends Error {}

/** Resolves with the API server's version line; throws ContextRefused otherwise. */
export async function checkContext(kubectl: Run, context: string): Promise<string> {
  const ready = await kubectl(['get', '--raw=/readyz', '--request-timeout=10s']);
  if (ready.code !== 0) {
    throw new ContextRefused(
      `context ${context} does not answer: ${ready.stderr.trim() || `kubectl exited ${ready.code}`}\nNothing was installed. Check it with: kubectl --context ${context} cluster-info`,
    );
  }
  for (const need of NEEDED) {
    const can = await kubectl(['auth', 'can-i', 'create', need.resource, '--request-timeout=10s']);
    const answer = can.stdout.trim();
    if (answer !== 'yes') {
      const why = answer === 'no' ? 'SelfSubjectAccessReview says no' : can.stderr.trim();
      throw new ContextRefused(
        `the user of context ${context} may not create ${need.what} (${why}); the chart installs the ModelDeployment CRD and the operator's ClusterRole, so use a context with cluster-admin rights (or ask your cluster administrator to install charts/modeldeploy).\nNothing was installed.`,
      );
    }
  }
  const version = await kubectl(['version', '-o', 'json', '--request-timeout=10s']);
  const server = (JSON.parse(version.stdout || '{}') as { serverVersion?: { gitVersion?: string } })
    .serverVersion?.gitVersion;
  return server ?? 'unknown version';
}
