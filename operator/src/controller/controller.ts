import type { Logger } from 'pino';
import { ApiError } from '../kube/api-error.js';
import { Informer } from '../kube/informer.js';
import { KINDS, collectionPath, type Kind } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import { controllerOf, keyOf, objectKey, type KubeObject } from '../kube/object.js';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../resources/labels.js';
import type { ControllerMetrics } from './metrics.js';
import { CONTROLLER_NAME } from './metrics.js';
import { Reconciler, type ChildCaches, type ReconcilerDeps } from './reconciler.js';
import { WorkQueue } from './work-queue.js';
import { cacheShape, podInstanceKey } from './cache-shapes.js';
import { missingKindWarning } from './grpc-route-notice.js';
import { OPTIONAL_KINDS, WATCHED_KINDS } from './ownership.js';

export interface ControllerOptions {
  /** Namespaces to watch; empty = all. */
  namespaces: string[];
  workers: number;
  resyncSeconds: number;
  /**
   * How often to look again for an optional API (Gateway API's routes) the cluster did not
   * serve at start, so CRDs installed later are used without restarting the operator.
   */
  optionalApiRetrySeconds?: number;
}

type InformerSet = Map<string, Informer<KubeObject>>;

const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/**
 * Wires list-watch caches of ModelDeployments and their children to one work queue and
 * a pool of workers. Caches run on every replica (a standby is warm); workers run only
 * while this process leads.
 */
/** How often a missing optional API is looked for again, unless the options say otherwise. */
const DEFAULT_OPTIONAL_API_RETRY_SECONDS = 60;

export class Controller {
  private readonly informers = new Map<string, InformerSet>();
  private readonly missingKinds = new Set<string>();
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private workersRunning: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private synced = false;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: ControllerOptions,
    private readonly metrics: ControllerMetrics,
    private readonly log: Logger,
    deps: Omit<ReconcilerDeps, 'caches' | 'client' | 'log'>,
  ) {
    this.queue = new WorkQueue({ observer: metrics.queueObserver() });
    this.reconciler = new Reconciler({
      ...deps,
      client,
      caches: this.caches(),
      failures: (key) => this.queue.failuresOf(key),
      log,
    });
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts every cache and resolves when all have listed once. */
  async startCaches(): Promise<void> {
    await this.startKind(KINDS.modelDeployment, undefined, (obj) => this.queue.add(keyOf(obj)));
    for (const kind of WATCHED_KINDS) {
      await this.startKind(kind, MANAGED_SELECTOR, (obj) => this.enqueueOwner(kind, obj));
    }
    this.synced = true;
  }

  startWorkers(): void {
    this.metrics.maxConcurrent.set({ controller: CONTROLLER_NAME }, this.opts.workers);
    for (let i = 0; i < this.opts.workers; i++) this.workersRunning.push(this.work());
    for (const md of this.listModelDeployments()) this.queue.add(keyOf(md));
    this.resyncTimer = setInterval(() => {
      for (const md of this.listModelDeployments()) this.queue.add(keyOf(md));
    }, this.opts.resyncSeconds * 1000);
    this.resyncTimer.unref();
  }

  /** Stops taking work, lets running reconciles finish, stops the watches. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.queue.shutDown();
    await Promise.all(this.workersRunning);
    for (const set of this.informers.values()) for (const inf of set.values()) inf.stop();
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.process(key);
      this.queue.done(key);
    }
  }

  private async process(key: string): Promise<void> {
    const labels = { controller: CONTROLLER_NAME };
    const end = this.metrics.reconcileTime.startTimer(labels);
    this.metrics.activeWorkers.inc(labels);
    this.metrics.longestRunning.set({ name: CONTROLLER_NAME }, this.queue.longestRunningSeconds());
    try {
      const result = await this.reconciler.reconcile(key);
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) {
        this.queue.addAfter(key, result.requeueAfterMs);
        this.metrics.reconcileTotal.inc({ ...labels, result: 'requeue_after' });
      } else {
        this.metrics.reconcileTotal.inc({ ...labels, result: 'success' });
      }
    } catch (err) {
      this.metrics.reconcileTotal.inc({ ...labels, result: 'error' });
      this.metrics.reconcileErrors.inc(labels);
      const conflict = err instanceof ApiError && err.conflict;
      this.log[conflict ? 'info' : 'error'](
        { modelDeployment: key, err: String(err), retries: this.queue.failuresOf(key) },
        conflict
          ? 'reconcile hit a write conflict; retrying with fresh state'
          : 'reconcile failed; retrying with back-off',
      );
      this.queue.addRateLimited(key);
    } finally {
      this.metrics.activeWorkers.dec(labels);
      this.metrics.unfinishedWork.set(
        { name: CONTROLLER_NAME },
        this.queue.unfinishedWorkSeconds(),
      );
      end();
    }
  }

  private async startKind(
    kind: Kind,
    labelSelector: string | undefined,
    onChange: (obj: KubeObject) => void,
  ): Promise<void> {
    const set: InformerSet = new Map();
    const namespaces = this.opts.namespaces.length > 0 ? this.opts.namespaces : [''];
    for (const ns of namespaces) {
      const inf = new Informer<KubeObject>(
        this.client,
        {
          path: collectionPath(kind, ns || undefined),
          ...(labelSelector ? { labelSelector } : {}),
          ...cacheShape(kind),
        },
        this.log.child({ informer: kind.kind, namespace: ns || '*' }),
      );
      inf.on((_event, obj) => onChange(obj));
      try {
        await inf.start();
      } catch (err) {
        // A CRD is cluster-wide: missing in one namespace means missing in all.
        if (OPTIONAL_KINDS.includes(kind) && err instanceof ApiError && err.notFound) {
          inf.stop();
          for (const started of set.values()) started.stop();
          this.markMissing(kind, labelSelector, onChange);
          return;
        }
        throw new Error(`cannot list ${kind.plural} (${String(err)}); check the operator's RBAC`, {
          cause: err,
        });
      }
      set.set(ns, inf);
    }
    this.informers.set(kind.kind, set);
    if (this.missingKinds.delete(kind.kind)) {
      this.log.info({ kind: kind.kind }, `the cluster now serves ${kind.kind}; reconciling again`);
      for (const md of this.listModelDeployments()) this.queue.add(keyOf(md));
    }
  }

  /**
   * Without the API there are no such routes to manage; say so once, and look again
   * periodically: installing Gateway API CRDs must not need an operator restart.
   */
  private markMissing(
    kind: Kind,
    labelSelector: string | undefined,
    onChange: (obj: KubeObject) => void,
  ): void {
    if (!this.missingKinds.has(kind.kind)) {
      this.missingKinds.add(kind.kind);
      this.log.warn({ kind: kind.kind }, missingKindWarning(kind));
    }
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(timer);
        if (this.stopped) return;
        this.startKind(kind, labelSelector, onChange).catch((err: unknown) => {
          this.log.error(
            { kind: kind.kind, err: String(err) },
            'cannot watch an API the cluster now serves; check the operator RBAC for it',
          );
          this.markMissing(kind, labelSelector, onChange);
        });
      },
      (this.opts.optionalApiRetrySeconds ?? DEFAULT_OPTIONAL_API_RETRY_SECONDS) * 1000,
    );
    timer.unref();
    this.retryTimers.add(timer);
  }

  private enqueueOwner(kind: Kind, obj: KubeObject): void {
    if (kind === KINDS.pod) {
      for (const key of podInstanceKey(obj)) this.queue.add(key);
      return;
    }
    const owner = controllerOf(obj, 'ModelDeployment');
    if (owner) this.queue.add(objectKey(obj.metadata.namespace, owner.name));
  }

  private informerFor(kind: Kind, namespace: string): Informer<KubeObject> | undefined {
    const set = this.informers.get(kind.kind);
    return set?.get(namespace) ?? set?.get('');
  }

  private listModelDeployments(): KubeObject[] {
    return [...(this.informers.get(KINDS.modelDeployment.kind)?.values() ?? [])].flatMap((i) =>
      i.list(),
    );
  }

  private caches(): ChildCaches {
    const nsOf = (key: string): string => key.split('/')[0] ?? '';
    return {
      modelDeployment: (key) => this.informerFor(KINDS.modelDeployment, nsOf(key))?.get(key),
      child: (kind, key) => this.informerFor(kind, nsOf(key))?.get(key),
      owned: (kind, namespace, uid) =>
        (this.informerFor(kind, namespace)?.byIndex(uid) ?? []).filter(
          (o) => o.metadata.namespace === namespace,
        ),
      pods: (namespace, instance) =>
        this.informerFor(KINDS.pod, namespace)?.byIndex(objectKey(namespace, instance)) ?? [],
      unavailable: (kind) => this.missingKinds.has(kind.kind),
    };
  }
}
