import type { ModelDeployment } from '../api/model-deployment.js';
import { KINDS, type Kind } from '../kube/kinds.js';
import { objectKey, type KubeObject } from '../kube/object.js';
import { LABEL_TRACK } from '../resources/labels.js';
import { deploymentName, singletonName } from '../resources/names.js';
import type { Track } from '../resources/tracks.js';
import { observeRoute } from './observe-route.js';
import type { ChildObservation } from './observation.js';
import { observeAutoscaler, observeDeployment, podProblem } from './observe.js';

/** Where a reconcile reads children from: the informer caches, and what it applied itself. */
export interface ChildSource {
  child(kind: Kind, key: string): KubeObject | undefined;
  pods(namespace: string, instance: string): KubeObject[];
}

/**
 * What the children's own controllers report about a ModelDeployment. An object this
 * reconcile applied is read from the API server's answer rather than the cache, which has
 * not seen the write yet: its new metadata.generation is what makes an unobserved change
 * show as unobserved instead of as the old, settled state.
 */
export function observeChildren(
  md: ModelDeployment,
  source: ChildSource,
  now: Date,
): ChildObservation {
  const ns = md.metadata.namespace;
  const dep = (track: Track): KubeObject | undefined =>
    source.child(KINDS.deployment, objectKey(ns, deploymentName(md, track)));
  const stable = observeDeployment(dep('stable'));
  const canary = observeDeployment(dep('canary'));
  const pods = source.pods(ns, md.metadata.name);
  const canaryPods = pods.filter((p) => p.metadata.labels?.[LABEL_TRACK] === 'canary');
  const shadowPods = pods.filter((p) => p.metadata.labels?.[LABEL_TRACK] === 'shadow');
  const stablePods = pods.filter((p) => {
    const track = p.metadata.labels?.[LABEL_TRACK];
    return track !== 'canary' && track !== 'shadow';
  });
  return {
    stable,
    canary,
    ...(md.spec.shadow ? { shadow: observeDeployment(dep('shadow')) } : {}),
    stableProblem: podProblem(stablePods, stable?.version, now),
    canaryProblem: podProblem(canaryPods, md.spec.canary?.model.version, now),
    ...(md.spec.shadow
      ? { shadowProblem: podProblem(shadowPods, md.spec.shadow.model.version, now) }
      : {}),
    autoscaler: md.spec.autoscaling
      ? observeAutoscaler(source.child(KINDS.hpa, objectKey(ns, md.metadata.name)))
      : undefined,
    route: routeOf(md, source),
  };
}

function routeOf(md: ModelDeployment, source: ChildSource) {
  const traffic = md.spec.traffic;
  if (traffic?.router !== 'gatewayAPI' || !traffic.gatewayRef) return undefined;
  const ns = md.metadata.namespace;
  const route = source.child(KINDS.httpRoute, objectKey(ns, singletonName(md)));
  return observeRoute(route, traffic.gatewayRef.name, traffic.gatewayRef.namespace ?? ns);
}

/** The caches, with the objects this reconcile applied taking the place of their cached copies. */
export function withApplied(
  source: ChildSource,
  applied: ReadonlyMap<string, KubeObject>,
): ChildSource {
  return {
    child: (kind, key) => applied.get(appliedKey(kind, key)) ?? source.child(kind, key),
    pods: (namespace, instance) => source.pods(namespace, instance),
  };
}

export function appliedKey(kind: Kind, key: string): string {
  return `${kind.kind}/${key}`;
}
