import type { KubeObject } from './object.js';

/** The index values an object is filed under (client-go's IndexFunc). */
export type IndexFunc<T extends KubeObject> = (obj: T) => readonly string[];

/**
 * The objects of one informer by key, plus one optional secondary index. Reconciles look
 * up "children of this owner" and "pods of this instance" many times per resource; with an
 * index that is a map lookup instead of a scan over every cached object.
 */
export class ObjectStore<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexed = new Map<string, Map<string, T>>();

  constructor(private readonly indexBy?: IndexFunc<T>) {}

  get size(): number {
    return this.objects.size;
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  values(): T[] {
    return [...this.objects.values()];
  }

  entries(): IterableIterator<[string, T]> {
    return this.objects.entries();
  }

  /** Objects filed under `value` by the index function; empty without an index. */
  byIndex(value: string): T[] {
    const bucket = this.indexed.get(value);
    return bucket ? [...bucket.values()] : [];
  }

  /** Stores `obj` under `key`; returns the object it replaced. */
  set(key: string, obj: T): T | undefined {
    const old = this.objects.get(key);
    if (old) this.unindex(key, old);
    this.objects.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Removes `key`; returns the object that was stored. */
  delete(key: string): T | undefined {
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    this.unindex(key, old);
    return old;
  }

  private index(key: string, obj: T): void {
    for (const value of this.indexBy?.(obj) ?? []) {
      let bucket = this.indexed.get(value);
      if (!bucket) this.indexed.set(value, (bucket = new Map()));
      bucket.set(key, obj);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const value of this.indexBy?.(obj) ?? []) {
      const bucket = this.indexed.get(value);
      bucket?.delete(key);
      if (bucket?.size === 0) this.indexed.delete(value);
    }
  }
}
