/** The API resources the operator touches, with their REST paths. */
export interface Kind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const kind = (apiVersion: string, k: string, plural: string, namespaced = true): Kind => ({
  apiVersion,
  kind: k,
  plural,
  namespaced,
});

export const KINDS = {
  modelDeployment: kind('modeldeploy.io/v1alpha1', 'ModelDeployment', 'modeldeployments'),
  deployment: kind('apps/v1', 'Deployment', 'deployments'),
  service: kind('v1', 'Service', 'services'),
  hpa: kind('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  pdb: kind('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  httpRoute: kind('gateway.networking.k8s.io/v1', 'HTTPRoute', 'httproutes'),
  grpcRoute: kind('gateway.networking.k8s.io/v1', 'GRPCRoute', 'grpcroutes'),
  pod: kind('v1', 'Pod', 'pods'),
  secret: kind('v1', 'Secret', 'secrets'),
  event: kind('events.k8s.io/v1', 'Event', 'events'),
  lease: kind('coordination.k8s.io/v1', 'Lease', 'leases'),
} as const;

/** /api/v1/... for the core group, /apis/<group>/<version>/... otherwise. */
export function collectionPath(k: Kind, namespace?: string): string {
  const prefix = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${prefix}${ns}/${k.plural}`;
}

export function objectPath(
  k: Kind,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  const base = `${collectionPath(k, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}
