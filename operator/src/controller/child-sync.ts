import type { Logger } from 'pino';
import type { ModelDeployment } from '../api/model-deployment.js';
import { ApiError, isNotFound } from '../kube/api-error.js';
import { KINDS, objectPath, type Kind } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import { controllerOf, objectKey, type KubeObject } from '../kube/object.js';
import { REPLICAS_ANNOTATION, REPLICAS_BY_AUTOSCALER } from '../resources/deployment.js';
import { appliedKey } from '../status/observe-children.js';
import type { ChildConflict } from '../status/observation.js';
import type { DesiredChild } from './desired-children.js';
import { needsApply, withAppliedHash } from './drift.js';
import {
  CHILD_KINDS,
  controlledBy,
  FIELD_MANAGER,
  REPLICAS_HANDOVER_MANAGER,
} from './ownership.js';

export type SyncClient = Pick<KubeClient, 'get' | 'apply' | 'delete'>;

/** The children caches a sync reads (label-selected: they see only objects labelled as ours). */
export interface SyncCaches {
  child(kind: Kind, key: string): KubeObject | undefined;
  owned(kind: Kind, namespace: string, ownerUid: string): KubeObject[];
  unavailable(kind: Kind): boolean;
}

export interface SyncOptions {
  /**
   * Keep the runtime Deployments as they are (a Secret they mount is missing): still wanted,
   * so never deleted, but not rolled to a template whose pods could not start.
   */
  holdDeployments: boolean;
}

export interface SyncOutcome {
  writes: number;
  /** Children the API server refused as invalid (400/422), with its message. */
  rejected: { kind: string; name: string; message: string }[];
  conflicts: ChildConflict[];
  /** The API server's answer for each applied child, by appliedKey(kind, namespace/name). */
  applied: Map<string, KubeObject>;
}

/**
 * Brings the children in line with the desired set: applies what differs, never touches an
 * object another owner controls, hands spec.replicas to the autoscaler without a dip, and
 * deletes only owned children the spec no longer asks for.
 */
export class ChildSync {
  constructor(
    private readonly client: SyncClient,
    private readonly caches: SyncCaches,
    private readonly log: Logger,
  ) {}

  async sync(
    md: ModelDeployment,
    desired: readonly DesiredChild[],
    opts: SyncOptions,
  ): Promise<SyncOutcome> {
    const outcome: SyncOutcome = { writes: 0, rejected: [], conflicts: [], applied: new Map() };
    for (const child of desired) {
      if (opts.holdDeployments && child.kind === KINDS.deployment) continue;
      await this.syncChild(md, child, outcome);
    }
    outcome.writes += await this.deleteUnwanted(md, desired);
    return outcome;
  }

  private async syncChild(
    md: ModelDeployment,
    { kind, object }: DesiredChild,
    outcome: SyncOutcome,
  ): Promise<void> {
    const target = withAppliedHash(object);
    const key = objectKey(target.metadata.namespace, target.metadata.name);
    const cached = this.caches.child(kind, key);
    if (cached && !controlledBy(cached, md.metadata.uid)) {
      outcome.conflicts.push(conflict(kind, cached));
      return;
    }
    if (!needsApply(cached, target)) return;
    // The cache sees only objects labelled as ours: look for a foreign one before creating.
    const live = cached ?? (await this.getIfExists(kind, target));
    if (live && !controlledBy(live, md.metadata.uid)) {
      outcome.conflicts.push(conflict(kind, live));
      this.log.warn(
        { kind: kind.kind, name: target.metadata.name, owner: ownerName(live) },
        'a child name is taken by an object the operator does not control; leaving it alone',
      );
      return;
    }
    if (live && kind === KINDS.deployment && handsReplicasOver(live, target)) {
      await this.handOverReplicas(kind, live);
      outcome.writes++;
    }
    const answer = await this.apply(kind, target, outcome);
    if (!answer) return;
    outcome.applied.set(appliedKey(kind, key), answer);
    outcome.writes++;
    this.log.info(
      { kind: kind.kind, name: target.metadata.name, created: live === undefined },
      'applied child',
    );
  }

  /**
   * Applies one child. A child the API server refuses as invalid (400, 422) will be refused
   * again on every retry, so it is reported in status; other errors fail the reconcile.
   */
  private async apply(
    kind: Kind,
    target: KubeObject,
    outcome: SyncOutcome,
  ): Promise<KubeObject | undefined> {
    const path = objectPath(kind, target.metadata.namespace, target.metadata.name);
    try {
      return await this.client.apply(path, target, FIELD_MANAGER);
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 422 && err.status !== 400)) throw err;
      outcome.rejected.push({
        kind: kind.kind,
        name: target.metadata.name,
        message: err.apiMessage,
      });
      this.log.warn(
        { kind: kind.kind, name: target.metadata.name, err: err.apiMessage },
        'API server refused a child',
      );
      return undefined;
    }
  }

  private async getIfExists(kind: Kind, target: KubeObject): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(
        objectPath(kind, target.metadata.namespace, target.metadata.name),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Documented ownership transfer: another manager takes spec.replicas at its live value first. */
  private async handOverReplicas(kind: Kind, live: KubeObject): Promise<void> {
    const replicas = (live['spec'] as { replicas?: number } | undefined)?.replicas ?? 1;
    await this.client.apply(
      objectPath(kind, live.metadata.namespace, live.metadata.name),
      {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        metadata: { name: live.metadata.name, namespace: live.metadata.namespace },
        spec: { replicas },
      },
      REPLICAS_HANDOVER_MANAGER,
    );
    this.log.info(
      { kind: kind.kind, name: live.metadata.name, replicas },
      'handed spec.replicas to the autoscaler at its live value',
    );
  }

  private async deleteUnwanted(
    md: ModelDeployment,
    desired: readonly DesiredChild[],
  ): Promise<number> {
    const wanted = new Set(desired.map((d) => `${d.kind.kind}/${d.object.metadata.name}`));
    let writes = 0;
    for (const kind of CHILD_KINDS) {
      if (this.caches.unavailable(kind)) continue;
      for (const obj of this.caches.owned(kind, md.metadata.namespace, md.metadata.uid)) {
        if (wanted.has(`${kind.kind}/${obj.metadata.name}`) || obj.metadata.deletionTimestamp)
          continue;
        try {
          await this.client.delete(objectPath(kind, md.metadata.namespace, obj.metadata.name));
          writes++;
          this.log.info(
            { kind: kind.kind, name: obj.metadata.name },
            'deleted child the spec no longer asks for',
          );
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
    return writes;
  }
}

/** True when we stop sending spec.replicas now (an HPA owns it) and have not handed it over yet. */
function handsReplicasOver(live: KubeObject, target: KubeObject): boolean {
  const wantsAutoscaler =
    target.metadata.annotations?.[REPLICAS_ANNOTATION] === REPLICAS_BY_AUTOSCALER;
  const handedOver = live.metadata.annotations?.[REPLICAS_ANNOTATION] === REPLICAS_BY_AUTOSCALER;
  return wantsAutoscaler && !handedOver;
}

function ownerName(obj: KubeObject): string {
  const owner = controllerOf(obj, 'ModelDeployment');
  if (owner) return `ModelDeployment ${owner.name}`;
  const other = obj.metadata.ownerReferences?.find((r) => r.controller === true);
  return other ? `${other.kind} ${other.name}` : 'no controller (created by hand or another tool)';
}

function conflict(kind: Kind, obj: KubeObject): ChildConflict {
  return { kind: kind.kind, name: obj.metadata.name, owner: ownerName(obj) };
}
