import { ApiError } from '../kube/api-error.js';
import type { ReconcileFailure } from '../status/observation.js';

/**
 * How a failed reconcile reads in status. Conflicts are ordinary optimistic-concurrency
 * retries and say nothing; server errors and lost connections pass by themselves
 * (Reconciling); a refusal (403, 401, another 4xx) stays until someone changes RBAC, the
 * spec or the cluster (Stalled).
 */
export function classifyFailure(err: unknown): ReconcileFailure | undefined {
  if (err instanceof ApiError) {
    if (err.conflict) return undefined;
    const said = `${err.method} ${err.path}: ${err.status} ${err.reason}: ${err.apiMessage}`;
    if (err.status >= 500 || err.status === 429) {
      return {
        reason: 'ApiServerError',
        message: `the API server failed a request and the operator keeps retrying (${said})`,
        permanent: false,
      };
    }
    if (err.status === 401 || err.status === 403) {
      return {
        reason: 'Forbidden',
        message: `the API server refused the operator (${said}); grant its ServiceAccount the RBAC in charts/modeldeploy`,
        permanent: true,
      };
    }
    return {
      reason: 'ApiRequestRefused',
      message: `the API server refused a request (${said}); fix what it names`,
      permanent: true,
    };
  }
  return {
    reason: 'ApiServerUnreachable',
    message: `the operator could not reach the API server and keeps retrying (${String(err)})`,
    permanent: false,
  };
}
