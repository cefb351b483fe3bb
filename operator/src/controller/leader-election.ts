import type { Logger } from 'pino';
import { isNotFound } from '../kube/api-error.js';
import { KINDS, collectionPath, objectPath } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeObject } from '../kube/object.js';
import { microTime } from '../kube/micro-time.js';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a lease is
 * taken over only after its record has not changed for a full lease duration as seen by
 * our own clock (so clock skew between nodes cannot cause two leaders), every write is
 * guarded by resourceVersion, and on shutdown the lease is released at once.
 */
export class LeaderElector {
  private observedRecord = '';
  private observedAt = 0;
  private lastRenew = 0;
  private stopped = false;
  private leading = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly onChange: (leading: boolean) => void,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      await this.tryAcquireOrRenew().catch((err: unknown) =>
        this.log.warn({ err: String(err) }, 'lease update failed'),
      );
      this.checkRenewDeadline();
      if (!this.stopped)
        this.timer = setTimeout(() => void tick(), this.opts.retryPeriodSeconds * 1000);
    };
    void tick();
  }

  /** Stops renewing and, if leading, hands the lease back so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.opts.identity) {
        const spec: LeaseSpec = {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(new Date()),
        };
        await this.client.replace(this.path(), { ...lease, spec }, 'modeldeploy-operator');
      }
    } catch (err) {
      this.log.warn(
        { err: String(err) },
        'could not release the lease; a standby takes over after it expires',
      );
    }
    this.setLeading(false);
  }

  private path(): string {
    return objectPath(KINDS.lease, this.opts.namespace, this.opts.name);
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return await this.client.get<Lease>(this.path());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    const lease = await this.read();
    if (!lease) {
      await this.client.create(
        collectionPath(KINDS.lease, this.opts.namespace),
        this.newLease(now, 0),
        'modeldeploy-operator',
      );
      return this.acquired(now);
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now.getTime();
    }
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? this.opts.leaseDurationSeconds) * 1000;
    const expired = holder === '' || this.observedAt + duration < now.getTime();
    if (holder !== this.opts.identity && !expired) return this.setLeading(false);
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.opts.identity ? 0 : 1);
    const next: LeaseSpec = {
      ...this.newLease(now, transitions).spec,
      acquireTime: holder === this.opts.identity ? spec.acquireTime : microTime(now),
    };
    await this.client.replace(this.path(), { ...lease, spec: next }, 'modeldeploy-operator');
    this.acquired(now);
  }

  private newLease(now: Date, transitions: number): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace },
      spec: {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.opts.leaseDurationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: transitions,
      },
    };
  }

  private acquired(now: Date): void {
    this.lastRenew = now.getTime();
    this.setLeading(true);
  }

  /** A leader that could not renew in time must stop acting: another may already lead. */
  private checkRenewDeadline(): void {
    if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineSeconds * 1000) {
      this.log.error('could not renew the lease before the renew deadline; giving up leadership');
      this.setLeading(false);
    }
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info(
      { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity, leading },
      leading ? 'became leader' : 'not leader',
    );
    this.onChange(leading);
  }
}
