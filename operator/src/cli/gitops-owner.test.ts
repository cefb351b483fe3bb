import { describe, expect, it } from 'vitest';
import { gitOpsOwner, gitOpsWarning } from './gitops-owner.js';

describe('gitOpsOwner', () => {
  it('recognises Argo CD by its tracking annotation or instance label', () => {
    expect(
      gitOpsOwner({
        name: 'm',
        annotations: {
          'argocd.argoproj.io/tracking-id': 'shop:modeldeploy.io/ModelDeployment:ml/m',
        },
      }),
    ).toBe('Argo CD (application shop)');
    expect(gitOpsOwner({ name: 'm', labels: { 'argocd.argoproj.io/instance': 'shop' } })).toBe(
      'Argo CD (application shop)',
    );
  });

  it('recognises Flux Kustomizations and HelmReleases', () => {
    expect(
      gitOpsOwner({
        name: 'm',
        labels: {
          'kustomize.toolkit.fluxcd.io/name': 'apps',
          'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
        },
      }),
    ).toBe('Flux (Kustomization flux-system/apps)');
    expect(gitOpsOwner({ name: 'm', labels: { 'helm.toolkit.fluxcd.io/name': 'ml' } })).toBe(
      'Flux (HelmRelease ml)',
    );
  });

  it('names the ambiguous instance label for what it may be, and nothing for a plain object', () => {
    expect(gitOpsOwner({ name: 'm', labels: { 'app.kubernetes.io/instance': 'x' } })).toMatch(
      /Argo CD label tracking or a Helm release/,
    );
    expect(gitOpsOwner({ name: 'm', labels: { app: 'x' } })).toBeUndefined();
    expect(gitOpsWarning({ name: 'm' }, 'spec.paused')).toBeUndefined();
    expect(
      gitOpsWarning({ name: 'm', labels: { 'argocd.argoproj.io/instance': 'a' } }, 'spec.paused'),
    ).toMatch(/next sync reverts spec.paused unless the same change is made in Git/);
  });
});
