import { KINDS } from '../../../operator/src/kube/kinds.js';
import type { KubeObject } from '../../../operator/src/kube/object.js';
import type { ModelDeploymentStatus } from '../../../operator/src/api/model-deployment-status.js';
import { Reconciler, type ReconcileResult } from '../../../operator/src/controller/reconciler.js';
import { FakeCluster } from './fake-cluster.js';

export const NS = 'team-a';

/** A ModelDeployment as a user applies it. */
export function modelDeployment(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'modeldeploy.io/v1alpha1',
    kind: 'ModelDeployment',
    metadata: { name, namespace: NS, uid: `uid-${name}`, generation: 1 },
    spec: { model: { version: '1', uri: 'https://models.example/m.onnx' }, ...spec },
  };
}

/** One scenario: a cluster, a ModelDeployment and the operator's reconciler over both. */
export class Scenario {
  readonly cluster = new FakeCluster();

  constructor(
    readonly name: string,
    spec: Record<string, unknown>,
  ) {
    this.cluster.put(KINDS.modelDeployment, modelDeployment(name, spec));
    this.cluster.syncCache();
  }

  async reconcile(): Promise<ReconcileResult> {
    this.cluster.clearCalls();
    return new Reconciler(this.cluster.deps()).reconcile(`${NS}/${this.name}`);
  }

  md(): KubeObject {
    const md = this.cluster.live(KINDS.modelDeployment, NS, this.name);
    if (!md) throw new Error(`no ModelDeployment ${this.name}`);
    return md;
  }

  status(): ModelDeploymentStatus {
    return (this.md().status ?? {}) as ModelDeploymentStatus;
  }

  condition(type: string): { status: string; reason: string; message: string } | undefined {
    return this.status().conditions?.find((c) => c.type === type);
  }

  /** A user edit of the spec: the API server bumps metadata.generation. */
  editSpec(change: (spec: Record<string, unknown>) => void): void {
    this.cluster.edit(KINDS.modelDeployment, NS, this.name, (o) => {
      change(o['spec'] as Record<string, unknown>);
      o.metadata.generation = (o.metadata.generation ?? 1) + 1;
    });
    this.cluster.syncCache();
  }

  /**
   * The Deployment controller finishes every rollout: it has observed the newest generation
   * and all pods of the new template are ready. `ready` false leaves the new pods unready.
   */
  rollDeployments(ready = true): void {
    for (const name of [this.name, `${this.name}-canary`]) {
      const dep = this.cluster.live(KINDS.deployment, NS, name);
      if (!dep) continue;
      const spec = dep['spec'] as { replicas?: number };
      const status = dep['status'] as { replicas?: number } | undefined;
      const desired = spec.replicas ?? status?.replicas ?? 1;
      this.cluster.edit(KINDS.deployment, NS, name, (d) => {
        d['status'] = {
          observedGeneration: d.metadata.generation,
          replicas: desired,
          updatedReplicas: desired,
          readyReplicas: ready ? desired : 0,
          availableReplicas: ready ? desired : 0,
          conditions: [
            { type: 'Available', status: ready || desired === 0 ? 'True' : 'False' },
            { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
          ],
        };
      });
    }
    this.cluster.syncCache();
  }

  /** Reconcile, let the Deployment controller roll, reconcile again: a settled resource. */
  async settle(): Promise<void> {
    await this.reconcile();
    this.cluster.syncCache();
    this.rollDeployments();
    await this.reconcile();
    this.cluster.syncCache();
  }
}
