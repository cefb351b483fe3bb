import type { ModelDeployment } from '../api/model-deployment.js';
import type { TrafficSpec } from '../api/model-deployment-spec.js';
import { serviceName } from './names.js';

/*
 * What the HTTPRoute and its sibling GRPCRoute have in common: the parent, the header that
 * pins a request to one track, and the weighted split. Both routes are built from this one
 * plan, so a gRPC client reaches the canary with exactly the share an HTTP client does.
 */

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;
type GatewayRef = NonNullable<TrafficSpec['gatewayRef']>;

/** gateway.networking.k8s.io ParentReference, shared by every route kind. */
export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

/** A backendRef on a per-track Service; `port` is the Service port of the route's protocol. */
export interface WeightedBackend {
  name: string;
  port: number;
  weight: number;
}

export interface HeaderMatch {
  type: 'Exact';
  name: string;
  value: string;
}

/** One route rule, protocol-neutral: optional header matches, then weighted backends. */
export interface SplitRule {
  headers?: HeaderMatch[];
  backends: WeightedBackend[];
}

/** The parts of a route that do not depend on its protocol. */
export interface RoutePlan {
  parentRefs: ParentReference[];
  hostnames?: string[];
  rules: SplitRule[];
}

/** Pins a request (HTTP header or gRPC metadata) to one track, to try the candidate by hand. */
export const TRACK_HEADER = 'x-modeldeploy-track';

/** Copies the reference as written; group "" with kind Service is mesh (GAMMA) mode. */
function parentRef(ref: GatewayRef): ParentReference {
  return {
    group: ref.group,
    kind: ref.kind,
    name: ref.name,
    ...(ref.namespace !== undefined && { namespace: ref.namespace }),
    ...(ref.sectionName !== undefined && { sectionName: ref.sectionName }),
  };
}

/** Weights are whole percent; anything outside 0–100 would make the route invalid. */
function clampWeight(weight: number): number {
  return Math.min(100, Math.max(0, Math.round(weight)));
}

function trackRule(md: Source, track: 'stable' | 'canary', port: number): SplitRule {
  return {
    headers: [{ type: 'Exact', name: TRACK_HEADER, value: track }],
    backends: [{ name: serviceName(md, track), port, weight: 100 }],
  };
}

/**
 * Header-pinned rules first (more header matches win in Gateway API precedence), then the
 * weighted split. The canary backend appears only while the canary Service exists: after a
 * promotion or an abort the route must not name a Service that was deleted.
 */
function splitRules(
  md: Source,
  port: number,
  canaryWeight: number,
  runCanary: boolean,
): SplitRule[] {
  const stable = { name: serviceName(md, 'stable'), port };
  if (!runCanary) return [{ backends: [{ ...stable, weight: 100 }] }];
  const weight = clampWeight(canaryWeight);
  return [
    trackRule(md, 'canary', port),
    trackRule(md, 'stable', port),
    {
      backends: [
        { ...stable, weight: 100 - weight },
        { name: serviceName(md, 'canary'), port, weight },
      ],
    },
  ];
}

/**
 * The route plan under router gatewayAPI, with backends on `port` (undefined for any other
 * router). Without a running canary the plan has the stable backend alone.
 */
export function routePlan(
  md: Source,
  port: number,
  canaryWeight: number,
  runCanary: boolean,
): RoutePlan | undefined {
  const traffic = md.spec.traffic;
  if (traffic?.router !== 'gatewayAPI' || !traffic.gatewayRef) return undefined;
  return {
    parentRefs: [parentRef(traffic.gatewayRef)],
    ...(traffic.hostnames && traffic.hostnames.length > 0 && { hostnames: traffic.hostnames }),
    rules: splitRules(md, port, canaryWeight, runCanary),
  };
}
