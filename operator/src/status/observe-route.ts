import type { KubeObject } from '../kube/object.js';
import type { RouteObservation } from './observation.js';

interface RouteCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface RouteStatusShape {
  status?: {
    parents?: {
      parentRef?: { name?: string; namespace?: string };
      controllerName?: string;
      conditions?: RouteCondition[];
    }[];
  };
}

const conditionStatus = (c: RouteCondition | undefined): 'True' | 'False' | 'Unknown' =>
  c?.status === 'True' ? 'True' : c?.status === 'False' ? 'False' : 'Unknown';

/**
 * What the Gateway named by `parentName` reports about our HTTPRoute (status.parents[]): a
 * route that is not Accepted, or whose backends do not resolve, routes nothing. No entry for
 * that parent means no Gateway controller has looked at the route yet.
 */
export function observeRoute(
  route: KubeObject | undefined,
  parentName: string,
  parentNamespace: string,
): RouteObservation | undefined {
  if (!route) return undefined;
  const parents = (route as KubeObject & RouteStatusShape).status?.parents ?? [];
  const mine = parents.find(
    (p) =>
      p.parentRef?.name === parentName &&
      (p.parentRef.namespace ?? route.metadata.namespace) === parentNamespace,
  );
  if (!mine) {
    return {
      accepted: 'Unknown',
      resolvedRefs: 'Unknown',
      message: `no controller of ${parentName} has reported on the HTTPRoute yet`,
    };
  }
  const accepted = mine.conditions?.find((c) => c.type === 'Accepted');
  const resolved = mine.conditions?.find((c) => c.type === 'ResolvedRefs');
  const bad = [accepted, resolved].find((c) => c?.status === 'False');
  return {
    accepted: conditionStatus(accepted),
    resolvedRefs: conditionStatus(resolved),
    message: bad
      ? `${bad.type}=False (${bad.reason ?? 'no reason'}): ${bad.message ?? ''}`.trim()
      : `accepted by ${mine.controllerName ?? parentName}`,
  };
}

/** Why traffic cannot reach the tracks through the route, or undefined when it can. */
export function routeBlocked(route: RouteObservation | undefined): string | undefined {
  if (!route) return 'the HTTPRoute does not exist yet';
  if (route.accepted === 'True' && route.resolvedRefs !== 'False') return undefined;
  return route.message;
}

export const GATEWAY_API_MISSING =
  'the cluster serves no HTTPRoute API: install the Gateway API CRDs (standard channel) or use router replicaRatio';
