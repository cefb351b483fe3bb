import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import type { TrafficSpec } from '../api/model-deployment-spec.js';
import { commonLabels } from './labels.js';
import { serviceName, singletonName } from './names.js';
import { childMetadata } from './owner.js';
import { servicePort } from './service.js';

/*
 * The subset of gateway.networking.k8s.io/v1 HTTPRoute we build. @kubernetes/client-node has
 * no Gateway API types; these follow the field names of the v1 CRD.
 */

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
}

export interface HTTPHeaderMatch {
  type?: 'Exact';
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  headers?: HTTPHeaderMatch[];
}

export interface HTTPRouteRule {
  matches?: HTTPRouteMatch[];
  backendRefs?: HTTPBackendRef[];
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

export interface HTTPRoute {
  apiVersion: 'gateway.networking.k8s.io/v1';
  kind: 'HTTPRoute';
  metadata: V1ObjectMeta;
  spec: HTTPRouteSpec;
}

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;
type GatewayRef = NonNullable<TrafficSpec['gatewayRef']>;

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

/** Pins a request to one track, so a team can try the candidate by hand during a rollout. */
const TRACK_HEADER = 'x-modeldeploy-track';

function trackRule(md: Source, track: 'stable' | 'canary'): HTTPRouteRule {
  return {
    matches: [{ headers: [{ type: 'Exact', name: TRACK_HEADER, value: track }] }],
    backendRefs: [{ name: serviceName(md, track), port: servicePort(md), weight: 100 }],
  };
}

/**
 * Header-pinned rules first (more header matches win in Gateway API precedence), then the
 * weighted split. The canary backend appears only while the canary Service exists: after a
 * promotion or an abort the route must not name a Service that was deleted.
 */
function rules(md: Source, canaryWeight: number, runCanary: boolean): HTTPRouteRule[] {
  const port = servicePort(md);
  const stable = { name: serviceName(md, 'stable'), port };
  if (!runCanary) return [{ backendRefs: [{ ...stable, weight: 100 }] }];
  const weight = clampWeight(canaryWeight);
  return [
    trackRule(md, 'canary'),
    trackRule(md, 'stable'),
    {
      backendRefs: [
        { ...stable, weight: 100 - weight },
        { name: serviceName(md, 'canary'), port, weight },
      ],
    },
  ];
}

/**
 * The HTTPRoute that splits traffic between the per-track Services; only for router
 * gatewayAPI (undefined otherwise, and then the controller deletes any route it made).
 * Without a running canary the route has the stable backend alone.
 */
export function buildHttpRoute(
  md: Source,
  canaryWeight: number,
  runCanary: boolean,
): HTTPRoute | undefined {
  const traffic = md.spec.traffic;
  if (traffic?.router !== 'gatewayAPI' || !traffic.gatewayRef) return undefined;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: childMetadata(md, singletonName(md), commonLabels(md)),
    spec: {
      parentRefs: [parentRef(traffic.gatewayRef)],
      ...(traffic.hostnames && traffic.hostnames.length > 0 && { hostnames: traffic.hostnames }),
      rules: rules(md, canaryWeight, runCanary),
    },
  };
}
