import type { TrafficSpec } from '../api/model-deployment-spec.js';
import { KINDS, type Kind } from '../kube/kinds.js';
import type { EventInput } from './events.js';

export const GRPC_ROUTE_API_MISSING =
  'the cluster serves HTTPRoute but no GRPCRoute API, so the Gateway routes no gRPC (Open Inference Protocol V2 over gRPC) to this model; HTTP is routed as usual. Install the Gateway API CRDs v1.1 or later (standard channel), which the operator picks up within a minute, or have gRPC clients call the Service port named grpc directly';

/**
 * The warning for a gatewayAPI ModelDeployment whose cluster serves HTTPRoute but not
 * GRPCRoute: the reconcile goes on without the GRPCRoute, and this says why gRPC clients of
 * the Gateway are not served. When HTTPRoute is missing too, the Ready condition already says
 * the Gateway API is not installed, so there is nothing to add.
 */
export function grpcRouteNotice(
  router: TrafficSpec['router'] | undefined,
  unavailable: (kind: Kind) => boolean,
): EventInput | undefined {
  if (router !== 'gatewayAPI') return undefined;
  if (unavailable(KINDS.httpRoute) || !unavailable(KINDS.grpcRoute)) return undefined;
  return { type: 'Warning', reason: 'GRPCRouteNotInstalled', message: GRPC_ROUTE_API_MISSING };
}

/** The operator's start-up warning for an optional route kind the cluster does not serve. */
export function missingKindWarning(kind: Kind): string {
  return kind === KINDS.grpcRoute
    ? 'the cluster serves no GRPCRoute API (Gateway API CRDs older than v1.1, or none); gRPC is not routed through Gateways'
    : 'Gateway API CRDs are not installed; spec.traffic.router gatewayAPI cannot be served';
}
