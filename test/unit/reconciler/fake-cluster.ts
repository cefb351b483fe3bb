import pino from 'pino';
import { ApiError } from '../../../operator/src/kube/api-error.js';
import { KINDS, objectPath, type Kind } from '../../../operator/src/kube/kinds.js';
import type { RequestOptions } from '../../../operator/src/kube/kube-client.js';
import { objectKey, type KubeObject } from '../../../operator/src/kube/object.js';
import type {
  ChildCaches,
  ReconcilerClient,
  ReconcilerDeps,
} from '../../../operator/src/controller/reconciler.js';
import type { EventInput } from '../../../operator/src/controller/events.js';
import type { AnalysisResult } from '../../../operator/src/api/model-deployment-status.js';

/** One call the reconciler made to the API server. */
export interface RecordedCall {
  verb: 'get' | 'apply' | 'delete' | 'patch-status' | 'merge-patch';
  path: string;
  body?: unknown;
  query?: RequestOptions['query'];
  fieldManager?: string;
}

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const KIND_BY_PLURAL = new Map<string, Kind>(Object.values(KINDS).map((k) => [k.plural, k]));

/** kind plural and object key of a REST path such as /apis/apps/v1/namespaces/ns/deployments/x. */
function parsePath(path: string): { kind: Kind; key: string; subresource?: string } {
  const parts = path.split('/').filter((p) => p.length > 0);
  const ns = parts.indexOf('namespaces');
  const plural = parts[ns + 2] ?? '';
  const kind = KIND_BY_PLURAL.get(plural);
  if (!kind) throw new Error(`fake cluster: no kind for ${path}`);
  const sub = parts[ns + 4];
  return {
    kind,
    key: objectKey(parts[ns + 1], decodeURIComponent(parts[ns + 3] ?? '')),
    ...(sub ? { subresource: sub } : {}),
  };
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * An API server and informer caches in memory, for reconciler table tests in the style of
 * cert-manager's controller tests. The server holds every object; the cache is a snapshot
 * that lags the server until `syncCache()` (as a watch would), and like the operator's
 * label-selected informers it sees only children labelled as ours.
 */
export class FakeCluster {
  readonly calls: RecordedCall[] = [];
  readonly events: EventInput[] = [];
  private server = new Map<string, KubeObject>();
  private cache = new Map<string, KubeObject>();
  private rv = 100;
  /** Makes the next writes fail the way the API server would. */
  failWrites: ((call: RecordedCall) => ApiError | undefined) | undefined;
  failures = 0;
  analysis: AnalysisResult = {
    time: '2026-01-01T00:00:00Z',
    verdict: 'Pass',
    message: 'fake analysis',
  };
  now = new Date('2026-01-01T00:10:00Z');
  allowedPrometheusUrls: string[] = ['http://prometheus.monitoring:9090'];
  /** How many analysis queries the reconciler asked for. */
  analyses = 0;
  readonly missingKinds = new Set<string>();

  private id(kind: Kind, key: string): string {
    return `${kind.plural}/${key}`;
  }

  put(kind: Kind, obj: KubeObject): KubeObject {
    const stored = clone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    stored.metadata.generation ??= 1;
    stored.metadata.uid ??= `uid-${stored.metadata.name}`;
    this.server.set(this.id(kind, objectKey(obj.metadata.namespace, obj.metadata.name)), stored);
    return clone(stored);
  }

  /** The server's copy (what `kubectl get` would show). */
  live(kind: Kind, namespace: string, name: string): KubeObject | undefined {
    const obj = this.server.get(this.id(kind, objectKey(namespace, name)));
    return obj ? clone(obj) : undefined;
  }

  /** Changes an object on the server, the way a user or another controller would. */
  edit(kind: Kind, namespace: string, name: string, change: (o: KubeObject) => void): void {
    const obj = this.live(kind, namespace, name);
    if (!obj) throw new Error(`fake cluster: no ${kind.kind} ${namespace}/${name}`);
    change(obj);
    this.put(kind, obj);
  }

  remove(kind: Kind, namespace: string, name: string): void {
    this.server.delete(this.id(kind, objectKey(namespace, name)));
  }

  /** Delivers every pending watch event: the cache now matches the server. */
  syncCache(): void {
    this.cache = new Map([...this.server].map(([k, v]) => [k, clone(v)]));
  }

  writes(): RecordedCall[] {
    return this.calls.filter((c) => c.verb !== 'get');
  }

  clearCalls(): void {
    this.calls.length = 0;
    this.events.length = 0;
  }

  private cached(kind: Kind): KubeObject[] {
    const prefix = `${kind.plural}/`;
    return [...this.cache]
      .filter(([k, o]) => k.startsWith(prefix) && o.metadata.labels?.[MANAGED_BY] !== undefined)
      .map(([, o]) => clone(o));
  }

  caches(): ChildCaches {
    return {
      modelDeployment: (key) => {
        const o = this.cache.get(this.id(KINDS.modelDeployment, key));
        return o ? clone(o) : undefined;
      },
      child: (kind, key) =>
        this.cached(kind).find((o) => objectKey(o.metadata.namespace, o.metadata.name) === key),
      owned: (kind, namespace, uid) =>
        this.cached(kind).filter(
          (o) =>
            o.metadata.namespace === namespace &&
            o.metadata.ownerReferences?.some((r) => r.controller === true && r.uid === uid),
        ),
      pods: (namespace, instance) =>
        this.cached(KINDS.pod).filter(
          (p) =>
            p.metadata.namespace === namespace &&
            p.metadata.labels?.['app.kubernetes.io/instance'] === instance,
        ),
      unavailable: (kind) => this.missingKinds.has(kind.kind),
    };
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    const err = call.verb === 'get' ? undefined : this.failWrites?.(call);
    if (err) throw err;
  }

  client(): ReconcilerClient {
    const notFound = (path: string): ApiError =>
      new ApiError(404, 'NotFound', 'not found', 'GET', path);
    return {
      get: async <T extends KubeObject>(path: string): Promise<T> => {
        this.record({ verb: 'get', path });
        const { kind, key } = parsePath(path);
        const obj = this.server.get(this.id(kind, key));
        if (!obj) throw notFound(path);
        return clone(obj) as T;
      },
      apply: async <T extends KubeObject>(
        path: string,
        obj: KubeObject,
        fieldManager: string,
      ): Promise<T> => {
        this.record({ verb: 'apply', path, body: clone(obj), fieldManager });
        return this.applyToServer(path, obj) as T;
      },
      delete: async (path: string): Promise<unknown> => {
        this.record({ verb: 'delete', path });
        const { kind, key } = parsePath(path);
        if (!this.server.delete(this.id(kind, key))) throw notFound(path);
        return {};
      },
      mergePatch: async <T extends KubeObject>(
        path: string,
        patch: unknown,
        fieldManager: string,
      ): Promise<T> => {
        this.record({ verb: 'merge-patch', path, body: clone(patch), fieldManager });
        return this.patchStatus(path, (patch as { status: unknown }).status) as T;
      },
      request: async <T>(opts: RequestOptions): Promise<T> => {
        this.record({
          verb: 'patch-status',
          path: opts.path,
          body: clone(opts.body),
          query: opts.query,
        });
        return this.jsonPatchStatus(opts.path, opts.body) as T;
      },
    };
  }

  /** Server-side apply, reduced to what the tests need: fields merge, generation moves. */
  private applyToServer(path: string, obj: KubeObject): KubeObject {
    const { kind, key } = parsePath(path);
    const existing = this.server.get(this.id(kind, key));
    const merged: KubeObject = existing
      ? { ...clone(existing), ...clone(obj), metadata: { ...existing.metadata, ...obj.metadata } }
      : clone(obj);
    if (existing && 'status' in existing) merged.status = clone(existing.status);
    const specChanged =
      !existing || JSON.stringify(existing['spec']) !== JSON.stringify(merged['spec']);
    merged.metadata.generation = (existing?.metadata.generation ?? 0) + (specChanged ? 1 : 0);
    return this.put(kind, merged);
  }

  private patchStatus(path: string, status: unknown): KubeObject {
    const { kind, key } = parsePath(path);
    const obj = this.server.get(this.id(kind, key));
    if (!obj) throw new ApiError(404, 'NotFound', 'not found', 'PATCH', path);
    const next = { ...clone(obj), status: clone(status) };
    this.server.set(this.id(kind, key), next);
    next.metadata.resourceVersion = String(++this.rv);
    return clone(next);
  }

  /** A JSON patch on /status, honouring test/replace of metadata.resourceVersion as the server does. */
  private jsonPatchStatus(path: string, body: unknown): KubeObject {
    const { kind, key } = parsePath(path);
    const current = this.server.get(this.id(kind, key));
    if (!current) throw new ApiError(404, 'NotFound', 'not found', 'PATCH', path);
    const ops = body as { op: string; path: string; value: unknown }[];
    const rvOp = ops.find((o) => o.path === '/metadata/resourceVersion');
    if (rvOp && rvOp.value !== current.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        'the object has been modified; please apply your changes to the latest version and try again',
        'PATCH',
        path,
      );
    }
    const status = ops.find((o) => o.path === '/status')?.value;
    return this.patchStatus(path, status);
  }

  deps(defaultImage = 'runtime:test'): ReconcilerDeps {
    return {
      client: this.client(),
      caches: this.caches(),
      record: async (_regarding, event) => {
        this.events.push(event);
      },
      analyze: async () => {
        this.analyses++;
        return this.analysis;
      },
      prometheusUrlAllowed: (url) => this.allowedPrometheusUrls.includes(url),
      defaultImage,
      now: () => this.now,
      failures: () => this.failures,
      log: pino({ level: 'silent' }),
    };
  }
}

/** The path of a child for assertions. */
export function pathOf(kind: Kind, namespace: string, name: string): string {
  return objectPath(kind, namespace, name);
}
