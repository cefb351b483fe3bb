import type { ModelDeployment } from '../api/model-deployment.js';
import type { KubeObject } from '../kube/object.js';
import { KINDS, type Kind } from '../kube/kinds.js';
import { buildDeployment } from '../resources/deployment.js';
import { buildGrpcRoute } from '../resources/grpcroute.js';
import { buildHpa } from '../resources/hpa.js';
import { buildHttpRoute } from '../resources/httproute.js';
import { buildPodDisruptionBudget } from '../resources/pdb.js';
import { buildService } from '../resources/service.js';
import type { RolloutDecision } from '../rollout/rollout-types.js';

export interface DesiredChild {
  kind: Kind;
  object: KubeObject;
}

export interface ChildrenOptions {
  defaultImage: string;
}

function child(kind: Kind, object: object | undefined): DesiredChild[] {
  return object ? [{ kind, object: object as KubeObject }] : [];
}

/**
 * Every child the resource asks for right now, from the resource and the rollout
 * decision alone. Anything owned but not listed here is deleted by the reconciler, so a
 * child that must be held as it is (a Secret its pods mount is missing) is still listed.
 */
export function desiredChildren(
  md: ModelDeployment,
  decision: RolloutDecision,
  opts: ChildrenOptions,
): DesiredChild[] {
  const { spec } = md;
  const autoscaled = spec.autoscaling !== undefined;
  const stableReplicas = autoscaled ? undefined : (decision.stableReplicas ?? spec.replicas);
  const children: DesiredChild[] = [];
  // Once promoting, the stable track serves the candidate; it must pass the candidate's checks.
  const servesCandidate =
    spec.canary !== undefined && decision.stableModel.version === spec.canary.model.version;
  const stableGolden = servesCandidate
    ? (spec.canary?.goldenRequests ?? spec.goldenRequests)
    : spec.goldenRequests;
  children.push(
    ...child(
      KINDS.deployment,
      buildDeployment(md, {
        track: 'stable',
        model: decision.stableModel,
        replicas: stableReplicas,
        defaultImage: opts.defaultImage,
        ...(stableGolden ? { goldenRequests: stableGolden } : {}),
      }),
    ),
  );
  if (decision.runCanary && spec.canary) {
    const golden = spec.canary.goldenRequests ?? spec.goldenRequests;
    children.push(
      ...child(
        KINDS.deployment,
        buildDeployment(md, {
          track: 'canary',
          model: spec.canary.model,
          replicas: decision.canaryReplicas,
          defaultImage: opts.defaultImage,
          ...(golden ? { goldenRequests: golden } : {}),
        }),
      ),
    );
  }
  // The shadow track: its own Deployment and Service, which no user traffic reaches.
  if (spec.shadow) {
    children.push(
      ...child(
        KINDS.deployment,
        buildDeployment(md, {
          track: 'shadow',
          model: spec.shadow.model,
          replicas: spec.shadow.replicas,
          defaultImage: opts.defaultImage,
          ...(spec.shadow.resources ? { resources: spec.shadow.resources } : {}),
        }),
      ),
      ...child(KINDS.service, buildService(md, 'shadow')),
    );
  }
  children.push(...child(KINDS.service, buildService(md, 'main')));
  // The HTTPRoute always points at the stable Service, so it exists whenever a route does.
  if (decision.runCanary || spec.traffic?.router === 'gatewayAPI') {
    children.push(...child(KINDS.service, buildService(md, 'stable')));
  }
  if (decision.runCanary) children.push(...child(KINDS.service, buildService(md, 'canary')));
  children.push(...child(KINDS.hpa, buildHpa(md)));
  children.push(...child(KINDS.pdb, buildPodDisruptionBudget(md)));
  // Both routes take the same weight, so gRPC clients reach the canary as HTTP clients do.
  const canaryWeight = decision.runCanary ? decision.canaryWeight : 0;
  children.push(
    ...child(KINDS.httpRoute, buildHttpRoute(md, canaryWeight, decision.runCanary)),
    ...child(KINDS.grpcRoute, buildGrpcRoute(md, canaryWeight, decision.runCanary)),
  );
  return children;
}
