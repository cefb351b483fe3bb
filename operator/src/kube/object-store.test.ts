import { describe, expect, it } from 'vitest';
import { ObjectStore } from './object-store.js';
import type { KubeObject } from './object.js';

/** Files an object under each of its owners' uids. */
const ownerUids = (obj: KubeObject): readonly string[] =>
  obj.metadata.ownerReferences?.map((r) => r.uid) ?? [];

function child(name: string, ...owners: string[]): KubeObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      ownerReferences: owners.map((uid) => ({ apiVersion: 'v1', kind: 'K', name: uid, uid })),
    },
  };
}

describe('ObjectStore', () => {
  it('finds objects by index value and follows updates that change it', () => {
    const store = new ObjectStore<KubeObject>(ownerUids);
    store.set('ns/a', child('a', 'u1'));
    store.set('ns/b', child('b', 'u1', 'u2'));
    expect(store.byIndex('u1').map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(store.byIndex('u2').map((o) => o.metadata.name)).toEqual(['b']);

    const replaced = store.set('ns/b', child('b', 'u3'));
    expect(replaced?.metadata.ownerReferences?.[0]?.uid).toBe('u1');
    expect(store.byIndex('u1').map((o) => o.metadata.name)).toEqual(['a']);
    expect(store.byIndex('u2')).toEqual([]);
    expect(store.byIndex('u3').map((o) => o.metadata.name)).toEqual(['b']);
  });

  it('drops deleted objects from the index', () => {
    const store = new ObjectStore<KubeObject>(ownerUids);
    store.set('ns/a', child('a', 'u1'));
    expect(store.delete('ns/a')?.metadata.name).toBe('a');
    expect(store.delete('ns/a')).toBeUndefined();
    expect(store.byIndex('u1')).toEqual([]);
    expect(store.size).toBe(0);
  });

  it('has no index values without an index function', () => {
    const store = new ObjectStore<KubeObject>();
    store.set('ns/a', child('a', 'u1'));
    expect(store.get('ns/a')?.metadata.name).toBe('a');
    expect(store.byIndex('u1')).toEqual([]);
  });
});
