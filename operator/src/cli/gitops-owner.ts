import type { ObjectMetaLite } from './cluster-objects.js';

/**
 * Which GitOps tool, if any, keeps this object in sync with Git: an edit the plugin makes
 * lasts only until that tool's next sync, so the user is told to make it in Git as well.
 * The markers are the ones each tool writes on what it applies.
 */
export function gitOpsOwner(meta: ObjectMetaLite): string | undefined {
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  const tracking = annotations['argocd.argoproj.io/tracking-id'];
  if (tracking !== undefined) return `Argo CD (application ${tracking.split(':')[0] ?? tracking})`;
  const argoInstance = labels['argocd.argoproj.io/instance'];
  if (argoInstance !== undefined) return `Argo CD (application ${argoInstance})`;
  const kustomization = labels['kustomize.toolkit.fluxcd.io/name'];
  if (kustomization !== undefined) {
    const where = labels['kustomize.toolkit.fluxcd.io/namespace'];
    return `Flux (Kustomization ${where ? `${where}/` : ''}${kustomization})`;
  }
  const release = labels['helm.toolkit.fluxcd.io/name'];
  if (release !== undefined) {
    const where = labels['helm.toolkit.fluxcd.io/namespace'];
    return `Flux (HelmRelease ${where ? `${where}/` : ''}${release})`;
  }
  // Argo CD's label tracking (the default before 3.0) uses this common label; so does Helm,
  // whose next upgrade reverts the edit just the same.
  const instance = labels['app.kubernetes.io/instance'];
  if (instance !== undefined)
    return `Argo CD label tracking or a Helm release (app.kubernetes.io/instance=${instance})`;
  return undefined;
}

export function gitOpsWarning(meta: ObjectMetaLite, field: string): string | undefined {
  const owner = gitOpsOwner(meta);
  if (owner === undefined) return undefined;
  return `warning: ${meta.name} is managed by ${owner}; its next sync reverts ${field} unless the same change is made in Git`;
}
