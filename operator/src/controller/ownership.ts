import { KINDS, type Kind } from '../kube/kinds.js';
import type { KubeObject } from '../kube/object.js';

/** The field manager of every apply the operator makes for a ModelDeployment's children. */
export const FIELD_MANAGER = 'modeldeploy-operator';

/**
 * Takes spec.replicas over at its live value before the operator stops applying it (an HPA
 * was added). Server-side apply resets a field its only manager stops sending; with this
 * second manager holding it, the count stays where it was until the HPA acts.
 */
export const REPLICAS_HANDOVER_MANAGER = 'modeldeploy-replicas-handover';

/** Kinds the operator applies, and deletes once the spec no longer asks for them. */
export const CHILD_KINDS: readonly Kind[] = [
  KINDS.deployment,
  KINDS.service,
  KINDS.hpa,
  KINDS.pdb,
  KINDS.httpRoute,
  KINDS.grpcRoute,
];

/**
 * Kinds whose API a cluster may not serve (Gateway API CRDs are optional, and GRPCRoute came
 * later than HTTPRoute). Without one, the operator runs and reports it; with any other
 * missing, it cannot work and fails at start.
 */
export const OPTIONAL_KINDS: readonly Kind[] = [KINDS.httpRoute, KINDS.grpcRoute];

/** Kinds whose changes wake the owning ModelDeployment: the children and their pods. */
export const WATCHED_KINDS: readonly Kind[] = [...CHILD_KINDS, KINDS.pod];

/** True when `obj` names the ModelDeployment with this uid as its controller. */
export function controlledBy(obj: KubeObject, ownerUid: string): boolean {
  return (
    obj.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === ownerUid) ?? false
  );
}
