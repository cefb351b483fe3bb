import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { parseModelDeployment, type ModelDeployment } from '../api/model-deployment.js';
import type { AnalysisResult, ModelDeploymentStatus } from '../api/model-deployment-status.js';
import { ApiError, isNotFound } from '../kube/api-error.js';
import { KINDS, objectPath, type Kind } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import { objectKey, type KubeObject } from '../kube/object.js';
import { deploymentName, serviceName } from '../resources/names.js';
import { selectorLabels, selectorString } from '../resources/labels.js';
import { servicePort } from '../resources/service.js';
import {
  analysisDue,
  decideRollout,
  type RolloutDecision,
  type RolloutInput,
} from '../rollout/state.js';
import { computeStatus } from '../status/compute-status.js';
import { mergeConditions } from '../status/conditions.js';
import { observeAutoscaler, observeDeployment, podProblem } from '../status/observe.js';
import type { Observed, RolloutSummary } from '../status/observation.js';
import { desiredChildren, type DesiredChild } from './desired-children.js';
import { needsApply, withAppliedHash } from './drift.js';
import type { EventInput } from './events.js';

export const FIELD_MANAGER = 'modeldeploy-operator';

/** Read access to the informer caches, keyed "namespace/name". */
export interface ChildCaches {
  modelDeployment(key: string): KubeObject | undefined;
  child(kind: Kind, key: string): KubeObject | undefined;
  /** Owned children of a kind in a namespace (for deleting what is no longer wanted). */
  owned(kind: Kind, namespace: string, ownerUid: string): KubeObject[];
  pods(namespace: string, instance: string): KubeObject[];
  /** Kinds whose API is not served (e.g. no Gateway API CRDs): never applied, never listed. */
  unavailable(kind: Kind): boolean;
}

export type Analyzer = (md: ModelDeployment, version: string) => Promise<AnalysisResult>;

export interface ReconcilerDeps {
  client: KubeClient;
  caches: ChildCaches;
  record: (regarding: KubeObject, event: EventInput) => Promise<void>;
  analyze: Analyzer;
  defaultImage: string;
  now: () => Date;
  log: Logger;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  writes: number;
}

const SECRET_RECHECK_MS = 10_000;

interface ApplyOutcome {
  writes: number;
  rejected: { kind: string; name: string; message: string }[];
}
const CHILD_KINDS: readonly Kind[] = [
  KINDS.deployment,
  KINDS.service,
  KINDS.hpa,
  KINDS.pdb,
  KINDS.httpRoute,
];

/**
 * One pass of read → desired → apply → status for a ModelDeployment. Every write is
 * skipped when the cluster already holds what we want, so a resync of a settled
 * resource makes no API write at all.
 */
export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const raw = this.deps.caches.modelDeployment(key);
    if (!raw || raw.metadata.deletionTimestamp) return { writes: 0 };
    const parsed = parseModelDeployment(raw);
    if (!parsed.ok) return this.reportInvalid(raw, parsed.errors);
    const md = parsed.value;
    const log = this.deps.log.child({ modelDeployment: key, generation: md.metadata.generation });
    const missingSecrets = await this.missingSecrets(md);
    const decision = await this.decide(md, log);
    let writes = 0;
    let rejected: ApplyOutcome['rejected'] = [];
    if (!md.spec.paused) {
      const desired = desiredChildren(md, decision, {
        defaultImage: this.deps.defaultImage,
        skipDeployments: missingSecrets.length > 0,
      }).filter((c) => !this.deps.caches.unavailable(c.kind));
      const applied = await this.applyChildren(desired, log);
      writes += applied.writes;
      rejected = applied.rejected;
      writes += await this.deleteUnwanted(md, desired, log);
    }
    const observed = { ...this.observe(md, missingSecrets), rejected };
    const status = computeStatus({
      md,
      observed,
      rollout: rolloutSummary(md, decision),
      url: `http://${serviceName(md, 'main')}.${md.metadata.namespace}.svc:${servicePort(md)}`,
      selector: selectorString(selectorLabels(md, 'stable')),
      now: this.deps.now(),
    });
    writes += await this.writeStatus(raw, md, status, log);
    await this.recordTransitions(raw, md.status, status, decision);
    const requeue = [
      decision.requeueAfterMs,
      missingSecrets.length > 0 ? SECRET_RECHECK_MS : undefined,
    ].filter((x): x is number => x !== undefined);
    return { writes, ...(requeue.length > 0 ? { requeueAfterMs: Math.min(...requeue) } : {}) };
  }

  private async decide(md: ModelDeployment, log: Logger): Promise<RolloutDecision> {
    const stableDep = observeDeployment(
      this.deps.caches.child(
        KINDS.deployment,
        objectKey(md.metadata.namespace, deploymentName(md, 'stable')),
      ),
    );
    const canaryDep = observeDeployment(
      this.deps.caches.child(
        KINDS.deployment,
        objectKey(md.metadata.namespace, deploymentName(md, 'canary')),
      ),
    );
    const pods = this.deps.caches.pods(md.metadata.namespace, md.metadata.name);
    const canaryPods = pods.filter((p) => p.metadata.labels?.['modeldeploy.io/track'] === 'canary');
    const canaryProblem = podProblem(canaryPods, md.spec.canary?.model.version);
    const input: Omit<RolloutInput, 'analysis'> = {
      spec: md.spec,
      previous: md.status.canary,
      canary: {
        replicas: canaryDep?.replicas ?? 0,
        readyReplicas: canaryDep?.readyReplicas ?? 0,
        available:
          canaryDep !== undefined &&
          canaryDep.available &&
          canaryDep.updatedReplicas >= canaryDep.desired,
        ...(canaryDep?.version !== undefined ? { version: canaryDep.version } : {}),
        ...(canaryProblem?.reason === 'GoldenCheckFailed'
          ? { goldenFailure: canaryProblem.message }
          : {}),
        ...(canaryProblem?.reason === 'ModelLoadFailed'
          ? { crashLoop: canaryProblem.message }
          : {}),
      },
      stable: {
        version:
          stableDep &&
          stableDep.updatedReplicas >= stableDep.desired &&
          stableDep.readyReplicas >= stableDep.desired
            ? stableDep.version
            : undefined,
        available: stableDep?.available ?? false,
      },
      now: this.deps.now(),
    };
    let analysis: AnalysisResult | undefined;
    if (md.spec.canary && analysisDue(input)) {
      analysis = await this.deps.analyze(md, md.spec.canary.model.version);
      log.info({ analysis }, 'canary analysis');
    }
    return decideRollout({ ...input, analysis });
  }

  private async missingSecrets(md: ModelDeployment): Promise<string[]> {
    const names = [
      md.spec.auth?.apiKeySecretRef?.name,
      md.spec.auth?.jwt?.keysSecretRef.name,
    ].filter((n): n is string => n !== undefined);
    const missing: string[] = [];
    for (const name of new Set(names)) {
      try {
        await this.deps.client.get(objectPath(KINDS.secret, md.metadata.namespace, name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        missing.push(name);
      }
    }
    return missing;
  }

  /**
   * Applies what differs from the cache. A child the API server refuses as invalid (400,
   * 422) will be refused again on every retry, so it is reported in status instead of
   * failing the reconcile; other errors (conflicts, outages) fail it for a retry.
   */
  private async applyChildren(
    desired: readonly DesiredChild[],
    log: Logger,
  ): Promise<ApplyOutcome> {
    const outcome: ApplyOutcome = { writes: 0, rejected: [] };
    for (const { kind, object } of desired) {
      const target = withAppliedHash(object);
      const key = objectKey(target.metadata.namespace, target.metadata.name);
      const live = this.deps.caches.child(kind, key);
      if (!needsApply(live, target)) continue;
      try {
        await this.deps.client.apply(
          objectPath(kind, target.metadata.namespace, target.metadata.name),
          target,
          FIELD_MANAGER,
        );
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 422 && err.status !== 400)) throw err;
        outcome.rejected.push({
          kind: kind.kind,
          name: target.metadata.name,
          message: err.apiMessage,
        });
        log.warn(
          { kind: kind.kind, name: target.metadata.name, err: err.apiMessage },
          'API server refused a child',
        );
        continue;
      }
      log.info(
        { kind: kind.kind, name: target.metadata.name, created: live === undefined },
        'applied child',
      );
      outcome.writes++;
    }
    return outcome;
  }

  private async deleteUnwanted(
    md: ModelDeployment,
    desired: readonly DesiredChild[],
    log: Logger,
  ): Promise<number> {
    const wanted = new Set(desired.map((d) => `${d.kind.kind}/${d.object.metadata.name}`));
    let writes = 0;
    for (const kind of CHILD_KINDS) {
      if (this.deps.caches.unavailable(kind)) continue;
      for (const obj of this.deps.caches.owned(kind, md.metadata.namespace, md.metadata.uid)) {
        if (wanted.has(`${kind.kind}/${obj.metadata.name}`) || obj.metadata.deletionTimestamp)
          continue;
        try {
          await this.deps.client.delete(objectPath(kind, md.metadata.namespace, obj.metadata.name));
          writes++;
          log.info(
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

  private observe(md: ModelDeployment, missingSecrets: string[]): Omit<Observed, 'rejected'> {
    const ns = md.metadata.namespace;
    const stable = observeDeployment(
      this.deps.caches.child(KINDS.deployment, objectKey(ns, deploymentName(md, 'stable'))),
    );
    const pods = this.deps.caches
      .pods(ns, md.metadata.name)
      .filter((p) => p.metadata.labels?.['modeldeploy.io/track'] !== 'canary');
    return {
      stable,
      canary: observeDeployment(
        this.deps.caches.child(KINDS.deployment, objectKey(ns, deploymentName(md, 'canary'))),
      ),
      stableProblem: podProblem(pods, stable?.version),
      missingSecrets,
      autoscaler: md.spec.autoscaling
        ? observeAutoscaler(this.deps.caches.child(KINDS.hpa, objectKey(ns, md.metadata.name)))
        : undefined,
    };
  }

  private async writeStatus(
    raw: KubeObject,
    md: ModelDeployment,
    status: ModelDeploymentStatus,
    log: Logger,
  ): Promise<number> {
    const previous = (raw.status ?? {}) as ModelDeploymentStatus;
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), previous)) return 0;
    await this.deps.client.request({
      method: 'PATCH',
      path: objectPath(KINDS.modelDeployment, md.metadata.namespace, md.metadata.name, 'status'),
      query: { fieldManager: FIELD_MANAGER },
      // "add" replaces the whole status, so fields we no longer report disappear too.
      body: [{ op: 'add', path: '/status', value: status }],
      contentType: 'application/json-patch+json',
    });
    log.info(
      { conditions: status.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`) },
      'status written',
    );
    return 1;
  }

  private async recordTransitions(
    raw: KubeObject,
    before: ModelDeploymentStatus,
    after: ModelDeploymentStatus,
    decision: RolloutDecision,
  ): Promise<void> {
    for (const e of decision.events) await this.deps.record(raw, e);
    for (const type of ['Ready', 'Degraded', 'Stalled'] as const) {
      const old = before.conditions?.find((c) => c.type === type);
      const now = after.conditions?.find((c) => c.type === type);
      if (!now || (old && old.status === now.status && old.reason === now.reason)) continue;
      const bad =
        (type === 'Ready' && now.status === 'False') || (type !== 'Ready' && now.status === 'True');
      if (!old && !bad) continue;
      await this.deps.record(raw, {
        type: bad ? 'Warning' : 'Normal',
        reason: now.reason,
        message: now.message || `${type} is ${now.status}`,
      });
    }
  }

  private async reportInvalid(raw: KubeObject, errors: string[]): Promise<ReconcileResult> {
    const message = `the resource does not match this operator's schema (is the CRD older than the operator?): ${errors.join('; ')}`;
    const previous = (raw.status ?? {}) as ModelDeploymentStatus;
    const generation = raw.metadata.generation ?? 0;
    const conditions = mergeConditions(
      previous.conditions,
      [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
        { type: 'Stalled', status: 'True', reason: 'InvalidSpec', message },
        { type: 'Reconciling', status: 'False', reason: 'InvalidSpec', message: '' },
      ],
      generation,
      this.deps.now(),
    );
    const status = { ...previous, observedGeneration: generation, conditions };
    if (isDeepStrictEqual(status, previous)) return { writes: 0 };
    await this.deps.client.mergePatch(
      objectPath(KINDS.modelDeployment, raw.metadata.namespace, raw.metadata.name, 'status'),
      { status },
      FIELD_MANAGER,
    );
    await this.deps.record(raw, { type: 'Warning', reason: 'InvalidSpec', message });
    return { writes: 1 };
  }
}

/** Track figures and rollout conditions for status, from the rollout decision. */
function rolloutSummary(md: ModelDeployment, decision: RolloutDecision): RolloutSummary {
  return {
    canary: decision.status,
    stableVersion: decision.stableModel.version,
    // Under replicaRatio the pods decide the real share; status.canary.weight reports it.
    stableWeight:
      100 - (decision.runCanary ? (decision.status?.weight ?? decision.canaryWeight) : 0),
    ...(decision.conditions.degraded ? { degraded: decision.conditions.degraded } : {}),
    ...(decision.conditions.progressing ? { progressing: decision.conditions.progressing } : {}),
    ...(decision.conditions.stalled ? { stalled: decision.conditions.stalled } : {}),
  };
}
