import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import { commonLabels } from './labels.js';
import { singletonName } from './names.js';
import { childMetadata } from './owner.js';
import { routePlan, type ParentReference, type SplitRule } from './route-split.js';
import { RUNTIME_GRPC_PORT } from './runtime-contract.js';

/*
 * The subset of gateway.networking.k8s.io/v1 GRPCRoute we build (v1 since Gateway API 1.1,
 * standard channel). Field names follow the v1 CRD.
 */

export interface GRPCHeaderMatch {
  type?: 'Exact';
  name: string;
  value: string;
}

export interface GRPCRouteMatch {
  headers?: GRPCHeaderMatch[];
}

export interface GRPCBackendRef {
  name: string;
  port?: number;
  weight?: number;
}

export interface GRPCRouteRule {
  matches?: GRPCRouteMatch[];
  backendRefs?: GRPCBackendRef[];
}

export interface GRPCRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: GRPCRouteRule[];
}

export interface GRPCRoute {
  apiVersion: 'gateway.networking.k8s.io/v1';
  kind: 'GRPCRoute';
  metadata: V1ObjectMeta;
  spec: GRPCRouteSpec;
}

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;

/** gRPC metadata keys are header names, so track pinning matches the same key as over HTTP. */
function grpcRule(rule: SplitRule): GRPCRouteRule {
  return {
    ...(rule.headers && { matches: [{ headers: rule.headers }] }),
    backendRefs: rule.backends,
  };
}

/**
 * The HTTPRoute's sibling for Open Inference Protocol V2 over gRPC: the same parent, hostnames
 * and stable/canary weights, with backends on the Services' `grpc` port. Undefined unless
 * router is gatewayAPI; the controller skips it when the cluster serves no GRPCRoute API.
 */
export function buildGrpcRoute(
  md: Source,
  canaryWeight: number,
  runCanary: boolean,
): GRPCRoute | undefined {
  const plan = routePlan(md, RUNTIME_GRPC_PORT, canaryWeight, runCanary);
  if (!plan) return undefined;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: childMetadata(md, singletonName(md), commonLabels(md)),
    spec: {
      parentRefs: plan.parentRefs,
      ...(plan.hostnames && { hostnames: plan.hostnames }),
      rules: plan.rules.map(grpcRule),
    },
  };
}
