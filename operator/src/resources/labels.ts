import { servedModelName, type ModelDeployment } from '../api/model-deployment.js';
import type { Track } from './tracks.js';

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_VERSION = 'app.kubernetes.io/version';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_TRACK = 'modeldeploy.io/track';
export const LABEL_MODEL = 'modeldeploy.io/model';

export const RUNTIME_APP_NAME = 'modeldeploy-runtime';
/**
 * The app name of shadow pods. Service selectors can only match labels, not exclude them,
 * and the main Service selects every runtime pod of the instance (both tracks share traffic
 * under replicaRatio): shadow pods carry another app name so that no user request reaches them.
 */
export const SHADOW_APP_NAME = 'modeldeploy-runtime-shadow';
export const MANAGED_BY = 'modeldeploy-operator';
export const COMPONENT = 'model-server';

/**
 * Labels a selector matches on. Selectors of Deployments are immutable and a Service must
 * keep matching pods across versions, so nothing here may change during a rollout: no
 * version, no model name. The app name is included next to the instance so that another
 * app's pods labelled with the same instance (a Helm release of the same name) are never
 * selected.
 */
export function selectorLabels(
  md: Pick<ModelDeployment, 'metadata'>,
  track?: Track,
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_NAME]: track === 'shadow' ? SHADOW_APP_NAME : RUNTIME_APP_NAME,
    [LABEL_INSTANCE]: md.metadata.name,
  };
  if (track !== undefined) labels[LABEL_TRACK] = track;
  return labels;
}

/** Labels on every child object, so `kubectl get all -l app.kubernetes.io/instance=<name>` finds them. */
export function commonLabels(md: Source): Record<string, string> {
  return {
    ...selectorLabels(md),
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_COMPONENT]: COMPONENT,
    [LABEL_MODEL]: servedModelName(md),
  };
}

/** Labels of one track's Deployment and pods: the common ones plus track and model version. */
export function trackLabels(md: Source, track: Track, version: string): Record<string, string> {
  return {
    ...commonLabels(md),
    ...selectorLabels(md, track),
    [LABEL_VERSION]: version,
  };
}

/**
 * "a=b,c=d" for status.selector (the scale subresource's labelSelectorPath). Keys are sorted
 * as the API server prints selectors, so the string never changes and status is not rewritten.
 */
export function selectorString(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(',');
}
