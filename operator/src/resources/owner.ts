import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, KIND, type ModelDeployment } from '../api/model-deployment.js';

/**
 * The controller reference of every child: garbage collection deletes children with their
 * ModelDeployment, and watches on children map events back to the owner through it.
 * blockOwnerDeletion keeps foreground deletion waiting until the children are gone.
 */
export function ownerReference(md: Pick<ModelDeployment, 'metadata'>): V1OwnerReference {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: KIND,
    name: md.metadata.name,
    uid: md.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata every child carries: name, namespace, labels and the owner reference. */
export function childMetadata(
  md: Pick<ModelDeployment, 'metadata'>,
  name: string,
  labels: Record<string, string>,
): V1ObjectMeta {
  return {
    name,
    namespace: md.metadata.namespace,
    labels,
    ownerReferences: [ownerReference(md)],
  };
}
