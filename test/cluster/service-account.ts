import { apiCall, apiRequest } from './api-client.js';
import { buildKubeconfig, parseKubeconfig } from './kubeconfig.js';

export interface ServiceAccountKubeconfigOptions {
  /** Token lifetime; the API server's minimum is 600 s. Default one hour. */
  readonly expirationSeconds?: number;
  /** Create the ServiceAccount when it does not exist yet. Default true. */
  readonly create?: boolean;
}

export interface ServiceAccountCredentials {
  readonly kubeconfig: string;
  readonly token: string;
}

function isTokenRequest(value: unknown): value is { status: { token: string } } {
  if (typeof value !== 'object' || value === null) return false;
  const status = (value as { status?: unknown }).status;
  return (
    typeof status === 'object' &&
    status !== null &&
    typeof (status as { token?: unknown }).token === 'string'
  );
}

async function ensureServiceAccount(
  admin: ReturnType<typeof parseKubeconfig>,
  namespace: string,
  name: string,
): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts`;
  const res = await apiRequest(admin, 'POST', path, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  if (res.status !== 201 && res.status !== 409) {
    throw new Error(
      `creating ServiceAccount ${namespace}/${name} answered ${res.status}: ${res.body.slice(0, 300)}` +
        ' (does the namespace exist?)',
    );
  }
}

/**
 * A kubeconfig that acts as ServiceAccount `namespace/name`, with a bound token from the
 * TokenRequest API (what a pod gets), so RBAC in the chart is tested as the operator
 * will really meet it. `adminKubeconfig` is the harness's admin kubeconfig text.
 */
export async function serviceAccountKubeconfig(
  adminKubeconfig: string,
  namespace: string,
  name: string,
  opts: ServiceAccountKubeconfigOptions = {},
): Promise<ServiceAccountCredentials> {
  const admin = parseKubeconfig(adminKubeconfig);
  if (opts.create ?? true) await ensureServiceAccount(admin, namespace, name);
  const response = await apiCall(
    admin,
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: opts.expirationSeconds ?? 3600 },
    },
  );
  if (!isTokenRequest(response)) {
    throw new Error(`TokenRequest for ${namespace}/${name} returned no status.token`);
  }
  const token = response.status.token;
  const kubeconfig = buildKubeconfig({
    server: admin.server,
    caData: admin.caData,
    userName: `system:serviceaccount:${namespace}:${name}`,
    auth: { kind: 'token', token },
    namespace,
  });
  return { kubeconfig, token };
}
