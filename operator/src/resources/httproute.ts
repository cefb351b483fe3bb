import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import { commonLabels } from './labels.js';
import { singletonName } from './names.js';
import { childMetadata } from './owner.js';
import { routePlan, type ParentReference, type SplitRule } from './route-split.js';
import { servicePort } from './service.js';

/*
 * The subset of gateway.networking.k8s.io/v1 HTTPRoute we build. @kubernetes/client-node has
 * no Gateway API types; these follow the field names of the v1 CRD.
 */

export type { ParentReference } from './route-split.js';

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

function httpRule(rule: SplitRule): HTTPRouteRule {
  return {
    ...(rule.headers && { matches: [{ headers: rule.headers }] }),
    backendRefs: rule.backends,
  };
}

/**
 * The HTTPRoute that splits traffic between the per-track Services on their HTTP port; only
 * for router gatewayAPI (undefined otherwise, and then the controller deletes any route it
 * made). Without a running canary the route has the stable backend alone.
 */
export function buildHttpRoute(
  md: Source,
  canaryWeight: number,
  runCanary: boolean,
): HTTPRoute | undefined {
  const plan = routePlan(md, servicePort(md), canaryWeight, runCanary);
  if (!plan) return undefined;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: childMetadata(md, singletonName(md), commonLabels(md)),
    spec: {
      parentRefs: plan.parentRefs,
      ...(plan.hostnames && { hostnames: plan.hostnames }),
      rules: plan.rules.map(httpRule),
    },
  };
}
