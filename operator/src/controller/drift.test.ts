import { describe, expect, it } from 'vitest';
import { containsDesired, needsApply, withAppliedHash } from './drift.js';
import type { KubeObject } from '../kube/object.js';

const desired: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'm', namespace: 'ns', labels: { a: 'b' } },
  spec: {
    template: {
      spec: { containers: [{ name: 'runtime', image: 'img:1', env: [{ name: 'X', value: '1' }] }] },
    },
  },
};

function live(overrides: (o: KubeObject) => void = () => {}): KubeObject {
  const obj = structuredClone(withAppliedHash(desired));
  (obj.metadata as Record<string, unknown>).resourceVersion = '7';
  const spec = obj.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
  const container = spec.template.spec.containers[0];
  if (container) container.terminationMessagePath = '/dev/termination-log';
  overrides(obj);
  return obj;
}

describe('drift detection', () => {
  it('needs no apply when the live object holds what we want plus server defaults', () => {
    expect(needsApply(live(), withAppliedHash(desired))).toBe(false);
  });

  it('needs an apply when someone edits a field we own', () => {
    const edited = live((o) => {
      const spec = o.spec as { template: { spec: { containers: { image: string }[] } } };
      const c = spec.template.spec.containers[0];
      if (c) c.image = 'hacked:2';
    });
    expect(needsApply(edited, withAppliedHash(desired))).toBe(true);
  });

  it('needs an apply when a label we set was removed by hand', () => {
    expect(
      needsApply(
        live((o) => delete o.metadata.labels),
        withAppliedHash(desired),
      ),
    ).toBe(true);
  });

  it('needs an apply when our desired state dropped a field (hash changes)', () => {
    const smaller = { ...desired, metadata: { name: 'm', namespace: 'ns' } };
    expect(needsApply(live(), withAppliedHash(smaller))).toBe(true);
  });

  it('compares lists by length and element', () => {
    expect(containsDesired([{ a: 1, b: 2 }], [{ a: 1 }])).toBe(true);
    expect(containsDesired([{ a: 1 }, { a: 2 }], [{ a: 1 }])).toBe(false);
  });

  it('merges lists of named items by name, so an injected sidecar is not drift', () => {
    const containers = [{ name: 'runtime', image: 'img:1' }];
    expect(containsDesired([{ name: 'istio-proxy' }, ...containers], containers)).toBe(true);
    expect(containsDesired([{ name: 'runtime', image: 'img:2' }], containers)).toBe(false);
    expect(containsDesired([{ name: 'other' }], containers)).toBe(false);
    // Unnamed lists (args, command) are owned whole.
    expect(containsDesired(['--a', '--b'], ['--a'])).toBe(false);
  });

  it('compares resource quantities by value, as the API server canonicalises them', () => {
    const want = { resources: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: 2 } } };
    const got = { resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2' } } };
    expect(containsDesired(got, want)).toBe(true);
    const more = { resources: { requests: { cpu: '600m', memory: '1Gi' }, limits: { cpu: '2' } } };
    expect(containsDesired(more, want)).toBe(false);
    // Outside quantity fields, text must match exactly.
    expect(containsDesired({ version: '1.0' }, { version: '1' })).toBe(false);
  });

  it('hashes independently of key order', () => {
    const a = withAppliedHash<KubeObject>({ metadata: { name: 'x', labels: { p: '1', q: '2' } } });
    const b = withAppliedHash<KubeObject>({ metadata: { labels: { q: '2', p: '1' }, name: 'x' } });
    expect(a.metadata.annotations).toEqual(b.metadata.annotations);
  });
});
