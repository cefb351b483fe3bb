import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { KINDS, collectionPath } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeObject } from '../kube/object.js';
import { microTime } from '../kube/micro-time.js';

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  action?: string;
}

const DEDUPE_WINDOW_MS = 10 * 60_000;
const REPORTING_CONTROLLER = 'modeldeploy.io/operator';

/**
 * Records Kubernetes Events (events.k8s.io/v1) for decisions a user should see in
 * `kubectl describe` and `kubectl get events`. The same reason and message for the same
 * object is recorded once per window, so a retry loop does not flood etcd.
 */
export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly instance: string,
    private readonly log: Logger,
  ) {}

  async record(regarding: KubeObject, event: EventInput): Promise<void> {
    const ns = regarding.metadata.namespace ?? 'default';
    const dedupeKey = `${ns}/${regarding.metadata.name}/${event.reason}/${event.message}`;
    const now = Date.now();
    const last = this.recent.get(dedupeKey);
    if (last !== undefined && now - last < DEDUPE_WINDOW_MS) return;
    this.recent.set(dedupeKey, now);
    this.prune(now);
    const body = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: {
        name: `${regarding.metadata.name}.${randomBytes(8).toString('hex')}`,
        namespace: ns,
      },
      eventTime: microTime(new Date(now)),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.instance,
      action: event.action ?? 'Reconcile',
      reason: event.reason,
      note: event.message.slice(0, 1024),
      type: event.type,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.metadata.name,
        namespace: ns,
        uid: regarding.metadata.uid,
        resourceVersion: regarding.metadata.resourceVersion,
      },
    };
    try {
      await this.client.create(collectionPath(KINDS.event, ns), body, 'modeldeploy-operator');
    } catch (err) {
      // An event that cannot be written must not fail the reconcile that caused it.
      this.log.warn({ err: String(err), reason: event.reason }, 'could not record event');
    }
  }

  private prune(now: number): void {
    if (this.recent.size < 10_000) return;
    for (const [k, t] of this.recent) if (now - t > DEDUPE_WINDOW_MS) this.recent.delete(k);
  }
}
