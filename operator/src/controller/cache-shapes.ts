import type { InformerOptions } from '../kube/informer.js';
import { KINDS, type Kind } from '../kube/kinds.js';
import { objectKey, type KubeObject } from '../kube/object.js';
import { LABEL_INSTANCE } from '../resources/labels.js';

/**
 * Pods are the most numerous and largest objects we watch, and we read only their labels
 * and container statuses (termination messages, crash loops): cache nothing else.
 */
export function podEssentials(pod: KubeObject): KubeObject {
  const status = pod.status as { containerStatuses?: unknown } | undefined;
  const { name, namespace, uid, resourceVersion, labels, deletionTimestamp } = pod.metadata;
  return {
    metadata: { name, namespace, uid, resourceVersion, labels, deletionTimestamp },
    status: { containerStatuses: status?.containerStatuses },
  };
}

/** Children are looked up by their owner's uid; pods by namespace/instance label. */
export function ownerUids(obj: KubeObject): readonly string[] {
  return obj.metadata.ownerReferences?.map((r) => r.uid) ?? [];
}

export function podInstanceKey(pod: KubeObject): readonly string[] {
  const instance = pod.metadata.labels?.[LABEL_INSTANCE];
  return instance ? [objectKey(pod.metadata.namespace, instance)] : [];
}

/** What the cache of one kind keeps of each object, and how it indexes them. */
export function cacheShape(kind: Kind): Pick<InformerOptions, 'transform' | 'indexBy'> {
  if (kind === KINDS.pod) return { transform: podEssentials, indexBy: podInstanceKey };
  // ModelDeployments are looked up by key only.
  if (kind === KINDS.modelDeployment) return {};
  return { indexBy: ownerUids };
}
