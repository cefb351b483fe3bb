import type { Logger } from 'pino';
import { MalformedWatchLine } from './watch-lines.js';
import { ApiError } from './api-error.js';
import type { KubeClient } from './kube-client.js';
import { keyOf, type KubeObject, type WatchEvent } from './object.js';
import { ObjectStore, type IndexFunc } from './object-store.js';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T extends KubeObject> = (event: InformerEvent, obj: T, old?: T) => void;

export interface InformerOptions {
  /** Collection path, e.g. /apis/apps/v1/deployments or a namespaced one. */
  path: string;
  labelSelector?: string;
  /** Reduces each object to what the operator reads, before it is cached. */
  transform?: (obj: KubeObject) => KubeObject;
  /** Files each cached object under these values, for byIndex(). */
  indexBy?: IndexFunc<KubeObject>;
  /** Back-off after a failed list or watch, doubled up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A list-watch cache. It lists, then watches from the list's resourceVersion; when the
 * server answers 410 Gone (history compacted) it lists again, and when the connection
 * drops (API server restart, network cut) it retries with back-off, so callers never
 * see a silent stop. Deletions missed while disconnected are found by the re-list.
 */
export class Informer<T extends KubeObject> {
  private readonly objects: ObjectStore<T>;
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private stopped = false;
  private synced = false;
  private current: { stop(): void } | undefined;
  private backoffMs: number;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: InformerOptions,
    private readonly log: Logger,
  ) {
    this.backoffMs = opts.initialBackoffMs ?? 200;
    this.objects = new ObjectStore<T>(opts.indexBy);
  }

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return this.objects.values();
  }

  /** Cached objects the indexBy option filed under `value`. */
  byIndex(value: string): T[] {
    return this.objects.byIndex(value);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts the loop; resolves once the first list has filled the cache. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let first = true;
      const loop = async (): Promise<void> => {
        while (!this.stopped) {
          try {
            if (!this.resourceVersion) await this.relist();
            if (first) {
              first = false;
              resolve();
            }
            await this.watchOnce();
            this.backoffMs = this.opts.initialBackoffMs ?? 200;
          } catch (err) {
            // Events may have been lost with the broken line: only a re-list is sure to recover them.
            if (err instanceof MalformedWatchLine) this.resourceVersion = '';
            if (first && err instanceof ApiError && (err.status === 403 || err.status === 404)) {
              first = false;
              reject(err);
              return;
            }
            await this.backoff(err);
          }
        }
      };
      void loop();
    });
  }

  stop(): void {
    this.stopped = true;
    this.current?.stop();
    this.wake?.();
  }

  private async relist(): Promise<void> {
    const query = { labelSelector: this.opts.labelSelector };
    const list = await this.client.list<T>(this.opts.path, query);
    const seen = new Set<string>();
    for (const item of list.items) {
      const key = keyOf(item);
      seen.add(key);
      this.upsert(item);
    }
    for (const [key, old] of this.objects.entries()) {
      if (!seen.has(key)) {
        this.objects.delete(key);
        this.emit('delete', old);
      }
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    this.synced = true;
  }

  private async watchOnce(): Promise<void> {
    const path = this.opts.labelSelector
      ? `${this.opts.path}?labelSelector=${encodeURIComponent(this.opts.labelSelector)}`
      : this.opts.path;
    const handle = this.client.watch(path, this.resourceVersion, (e) => this.apply(e));
    this.current = handle;
    try {
      await handle.done;
    } finally {
      this.current = undefined;
    }
  }

  private apply(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const code = (event.object as { code?: number }).code;
      // 410: our resourceVersion is older than etcd's history; only a re-list recovers.
      if (code === 410) this.resourceVersion = '';
      this.current?.stop();
      return;
    }
    const obj = event.object as T;
    if (obj.metadata.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (event.type === 'BOOKMARK') return;
    if (event.type === 'DELETED') {
      this.objects.delete(keyOf(obj));
      this.emit('delete', obj);
      return;
    }
    this.upsert(obj);
  }

  private upsert(obj: T): void {
    // managedFields is often the largest part of an object and nothing here reads it;
    // dropping it is what keeps the cache small at thousands of objects.
    delete obj.metadata.managedFields;
    if (this.opts.transform) obj = this.opts.transform(obj) as T;
    const old = this.objects.set(keyOf(obj), obj);
    if (!old) this.emit('add', obj);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
      this.emit('update', obj, old);
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers) h(event, obj, old);
  }

  private async backoff(err: unknown): Promise<void> {
    if (this.stopped) return;
    if (err instanceof ApiError && err.gone) this.resourceVersion = '';
    this.log.warn(
      { path: this.opts.path, err: String(err), retryInMs: this.backoffMs },
      'list/watch failed; retrying',
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.backoffMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 10_000);
  }
}
