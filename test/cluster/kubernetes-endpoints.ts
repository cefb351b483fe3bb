/**
 * Endpoints of the `kubernetes` Service for a cluster with a real node. kube-apiserver's
 * own endpoint reconciler is off (it would publish its bind address, 127.0.0.1, which
 * Endpoints refuse), so the harness publishes the address pods can reach instead: the
 * API server relay on the node's bridge (apiserver-relay.ts). In-cluster clients then
 * connect as in any cluster: KUBERNETES_SERVICE_HOST (the ClusterIP) through kube-proxy.
 */
import { apiRequest } from './api-client.js';
import type { ApiCredentials } from './kubeconfig.js';

/** What kube-apiserver's reconciler would write, pointed at `ip:port`. */
export function kubernetesEndpoints(ip: string, port: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      // As the API server labels its own: the slice below is written directly, not mirrored.
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: [{ addresses: [{ ip }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  };
}

/** The EndpointSlice kube-proxy reads for the `kubernetes` Service. */
export function kubernetesEndpointSlice(ip: string, port: number): Record<string, unknown> {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: {
        'kubernetes.io/service-name': 'kubernetes',
        'endpointslice.kubernetes.io/managed-by': 'modeldeploy-test-harness',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
}

/** `ip:port` → the pair of objects, created (or replaced, after an API server restart). */
export async function publishKubernetesEndpoints(
  admin: ApiCredentials,
  address: string,
): Promise<void> {
  const [ip = '', portText = ''] = address.split(':');
  const port = Number(portText);
  const objects: [string, Record<string, unknown>][] = [
    ['/api/v1/namespaces/default/endpoints', kubernetesEndpoints(ip, port)],
    [
      '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      kubernetesEndpointSlice(ip, port),
    ],
  ];
  for (const [collection, object] of objects) {
    const created = await apiRequest(admin, 'POST', collection, object);
    if (created.status === 201 || created.status === 200) continue;
    if (created.status !== 409) {
      throw new Error(
        `publishing the kubernetes Service's endpoints (POST ${collection}) answered ${created.status}: ${created.body.slice(0, 300)}`,
      );
    }
    const current = JSON.parse(
      (await apiRequest(admin, 'GET', `${collection}/kubernetes`)).body,
    ) as {
      metadata?: { resourceVersion?: string };
    };
    const meta = object['metadata'] as Record<string, unknown>;
    const replaced = await apiRequest(admin, 'PUT', `${collection}/kubernetes`, {
      ...object,
      metadata: { ...meta, resourceVersion: current.metadata?.resourceVersion },
    });
    if (replaced.status !== 200) {
      throw new Error(
        `replacing the kubernetes Service's endpoints (PUT ${collection}/kubernetes) answered ${replaced.status}: ${replaced.body.slice(0, 300)}`,
      );
    }
  }
}
