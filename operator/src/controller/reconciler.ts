import type { Logger } from 'pino';
import {
  parseModelDeployment,
  servedModelName,
  type ModelDeployment,
} from '../api/model-deployment.js';
import type { AnalysisResult, ModelDeploymentStatus } from '../api/model-deployment-status.js';
import { isNotFound } from '../kube/api-error.js';
import { KINDS, objectPath, type Kind } from '../kube/kinds.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubeObject } from '../kube/object.js';
import { serviceName } from '../resources/names.js';
import { selectorLabels, selectorString } from '../resources/labels.js';
import { servicePort } from '../resources/service.js';
import type {
  CanaryObservation,
  RolloutDecision,
  RolloutInput,
  ShadowGateReading,
} from '../rollout/rollout-types.js';
import { shadowGateDue, shadowGateUrl } from '../rollout/shadow-gate.js';
import { readShadowGate } from '../rollout/shadow-gate-reading.js';
import { withGateShadow } from '../rollout/shadow-gate-track.js';
import { analysisDue } from '../rollout/schedule.js';
import { decideRollout } from '../rollout/state.js';
import { computeStatus, rolled } from '../status/compute-status.js';
import { analysisForStatus, type CanaryAnalysisOutcome } from '../rollout/canary-analysis.js';
import { mergeConditions } from '../status/conditions.js';
import { observeChildren, withApplied } from '../status/observe-children.js';
import { GATEWAY_API_MISSING, routeBlocked } from '../status/observe-route.js';
import type {
  ChildObservation,
  Observed,
  ReconcileFailure,
  RolloutSummary,
} from '../status/observation.js';
import { measureShadow, type ShadowMeasurement } from '../shadow/measure-shadow.js';
import { shadowTokenNeeded, shadowTokenSecretName } from '../shadow/shadow-token.js';
import { ensureShadowToken } from './shadow-token-sync.js';
import {
  SHADOW_MEASURE_INTERVAL_MS,
  shadowMeasurementDue,
  shadowStatus,
} from '../shadow/shadow-status.js';
import { ChildSync, type SyncOutcome } from './child-sync.js';
import { desiredChildren } from './desired-children.js';
import { grpcRouteNotice } from './grpc-route-notice.js';
import type { EventInput } from './events.js';
import { classifyFailure } from './reconcile-failure.js';
import { writeStatus } from './status-writer.js';

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

export type Analyzer = (md: ModelDeployment, version: string) => Promise<CanaryAnalysisOutcome>;

/** The API calls a reconcile makes; a recording client stands in for it in table tests. */
export type ReconcilerClient = Pick<
  KubeClient,
  'get' | 'apply' | 'delete' | 'request' | 'mergePatch'
>;

export interface ReconcilerDeps {
  client: ReconcilerClient;
  /** How many times in a row the reconcile of this key has failed before this attempt. */
  failures?: (key: string) => number;
  caches: ChildCaches;
  record: (regarding: KubeObject, event: EventInput) => Promise<void>;
  analyze: Analyzer;
  /** The operator's allow-list of Prometheus URLs (ANALYSIS_PROMETHEUS_URLS). */
  prometheusUrlAllowed: (url: string) => boolean;
  defaultImage: string;
  now: () => Date;
  log: Logger;
}

export interface ReconcileResult {
  requeueAfterMs?: number;
  writes: number;
}

const SECRET_RECHECK_MS = 10_000;

const NOTHING_SYNCED: SyncOutcome = { writes: 0, rejected: [], conflicts: [], applied: new Map() };

/** What one reconcile knows when it computes status. */
interface Pass {
  raw: KubeObject;
  md: ModelDeployment;
  /** md, or md with the shadow gate's candidate as spec.shadow while the gate runs. */
  tracks: ModelDeployment;
  decision: RolloutDecision;
  now: Date;
  log: Logger;
  /** Read from Prometheus this pass for status.shadow; undefined while not due. */
  shadowMeasurement: ShadowMeasurement | undefined;
}

/**
 * One pass of read → observe → decide → apply → status for a ModelDeployment. The children
 * are observed once; the decision and the status both come from that observation (plus the
 * API server's answers to what this pass applied). Every write is skipped when the cluster
 * already holds what we want, so a resync of a settled resource writes nothing.
 */
export class Reconciler {
  private readonly children: ChildSync;

  constructor(private readonly deps: ReconcilerDeps) {
    this.children = new ChildSync(deps.client, deps.caches, deps.log);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const raw = this.deps.caches.modelDeployment(key);
    if (!raw || raw.metadata.deletionTimestamp) return { writes: 0 };
    const parsed = parseModelDeployment(raw);
    if (!parsed.ok) return this.reportInvalid(raw, parsed.errors);
    const md = parsed.value;
    const log = this.deps.log.child({ modelDeployment: key, generation: md.metadata.generation });
    const now = this.deps.now();
    // Under a shadow gate the candidate may be on the shadow track: observe it there.
    const watched = withGateShadow(md);
    const observation = observeChildren(watched, this.deps.caches, now);
    const decision = await this.decide(md, observation, now, log);
    const shadowMeasurement = await this.measureShadowIfDue(md, now, log);
    // While the gate runs, the children run the candidate as the shadow track.
    const tracks = decision.shadowCandidate ? watched : md;
    const pass: Pass = { raw, md, tracks, decision, now, log, shadowMeasurement };
    let missingSecrets: string[] = [];
    let synced = NOTHING_SYNCED;
    try {
      missingSecrets = await this.missingSecrets(md);
      if (!md.spec.paused && shadowTokenNeeded(tracks)) {
        if (await ensureShadowToken(this.deps.client, tracks)) {
          log.info({ secret: shadowTokenSecretName(tracks) }, 'shadow token created');
        }
      }
      if (!md.spec.paused) {
        const desired = desiredChildren(tracks, decision, {
          defaultImage: this.deps.defaultImage,
        }).filter((c) => !this.deps.caches.unavailable(c.kind));
        synced = await this.children.sync(md, desired, {
          holdDeployments: missingSecrets.length > 0,
        });
      }
    } catch (err) {
      await this.reportFailure(key, pass, observation, err);
      throw err;
    }
    const fresh = observeChildren(watched, withApplied(this.deps.caches, synced.applied), now);
    const status = this.statusOf(pass, {
      ...fresh,
      missingSecrets,
      rejected: synced.rejected,
      conflicts: synced.conflicts,
      failure: undefined,
      gatewayApiMissing: this.gatewayApiMissing(md),
    });
    const writes = synced.writes + (await writeStatus(this.deps.client, raw, status, log));
    await this.recordTransitions(raw, md.status, status, decision);
    const notice = grpcRouteNotice(md.spec.traffic?.router, (kind) =>
      this.deps.caches.unavailable(kind),
    );
    if (notice) await this.deps.record(raw, notice);
    const requeue = [
      decision.requeueAfterMs,
      missingSecrets.length > 0 ? SECRET_RECHECK_MS : undefined,
      md.spec.shadow?.prometheusUrl !== undefined ? SHADOW_MEASURE_INTERVAL_MS : undefined,
    ].filter((x): x is number => x !== undefined);
    return { writes, ...(requeue.length > 0 ? { requeueAfterMs: Math.min(...requeue) } : {}) };
  }

  private statusOf(pass: Pass, observed: Observed): ModelDeploymentStatus {
    const { md, decision, now } = pass;
    const status = computeStatus({
      md,
      observed,
      rollout: rolloutSummary(md, decision),
      url: `http://${serviceName(md, 'main')}.${md.metadata.namespace}.svc:${servicePort(md)}`,
      selector: selectorString(selectorLabels(md, 'stable')),
      now,
    });
    const shadow = shadowStatus(pass.tracks, observed.shadow, pass.shadowMeasurement);
    return shadow === undefined ? status : { ...status, shadow };
  }

  /** status.shadow's disagreement rate and p95, when spec.shadow.prometheusUrl asks for them. */
  private async measureShadowIfDue(
    md: ModelDeployment,
    now: Date,
    log: Logger,
  ): Promise<ShadowMeasurement | undefined> {
    const spec = md.spec.shadow;
    if (spec?.prometheusUrl === undefined || !shadowMeasurementDue(md, now)) return undefined;
    const measurement = await measureShadow({
      prometheusUrl: spec.prometheusUrl,
      series: {
        namespace: md.metadata.namespace,
        name: md.metadata.name,
        model: servedModelName(md),
      },
      windowSeconds: spec.windowSeconds,
      now,
      allowed: this.deps.prometheusUrlAllowed,
      log: log.child({ part: 'shadow' }),
    });
    log.info({ shadow: measurement }, 'shadow measured');
    return measurement;
  }

  /**
   * A failure that repeats goes into status with the API server's words (a one-off conflict
   * or blip does not: the retry fixes it). The reconcile still fails, for back-off.
   */
  private async reportFailure(
    key: string,
    pass: Pass,
    observation: ChildObservation,
    err: unknown,
  ): Promise<void> {
    const failure: ReconcileFailure | undefined = classifyFailure(err);
    if (!failure || (this.deps.failures?.(key) ?? 0) < 1) return;
    const status = this.statusOf(pass, {
      ...observation,
      missingSecrets: [],
      rejected: [],
      conflicts: [],
      failure,
      gatewayApiMissing: this.gatewayApiMissing(pass.md),
    });
    try {
      await writeStatus(this.deps.client, pass.raw, status, pass.log);
    } catch (writeErr) {
      pass.log.warn({ err: String(writeErr) }, 'could not report the failure in status either');
    }
  }

  /** A prometheusUrl outside the allow-list is never queried; the rollout says why it holds. */
  private refusedAnalysis(md: ModelDeployment): { analysisRefused?: string } {
    const url = md.spec.canary?.analysis?.prometheusUrl;
    if (url === undefined || this.deps.prometheusUrlAllowed(url)) return {};
    return {
      analysisRefused: `spec.canary.analysis.prometheusUrl ${url} is not in the operator's allow-list of Prometheus URLs; use an allowed one, or ask the operator's administrators to add it (ANALYSIS_PROMETHEUS_URLS, chart value analysis.allowedPrometheusUrls)`,
    };
  }

  private gatewayApiMissing(md: ModelDeployment): boolean {
    return (
      md.spec.traffic?.router === 'gatewayAPI' && this.deps.caches.unavailable(KINDS.httpRoute)
    );
  }

  private async decide(
    md: ModelDeployment,
    observed: ChildObservation,
    now: Date,
    log: Logger,
  ): Promise<RolloutDecision> {
    const { stable, canary, canaryProblem } = observed;
    const input: Omit<RolloutInput, 'analysis' | 'shadowGate'> = {
      spec: md.spec,
      previous: md.status.canary,
      canary: {
        replicas: canary?.replicas ?? 0,
        readyReplicas: canary?.readyReplicas ?? 0,
        available:
          canary !== undefined && canary.available && canary.updatedReplicas >= canary.desired,
        ...(canary?.version !== undefined ? { version: canary.version } : {}),
        ...(canaryProblem?.reason === 'GoldenCheckFailed'
          ? { goldenFailure: canaryProblem.message }
          : {}),
        // Any load failure but a golden check (ModelLoadFailed, ModelAccessDenied, …).
        ...(canaryProblem !== undefined && canaryProblem.reason !== 'GoldenCheckFailed'
          ? { crashLoop: canaryProblem.message }
          : {}),
      },
      stable: {
        // Promotion is complete only once the stable track really serves the candidate.
        version: stable && rolled(stable) ? stable.version : undefined,
        available: stable?.available ?? false,
        ...(stable ? { replicas: stable.desired, readyReplicas: stable.readyReplicas } : {}),
      },
      ...this.refusedAnalysis(md),
      ...this.refusedShadowGate(md),
      ...(md.spec.canary?.shadow !== undefined ? { shadowTrack: shadowTrackOf(observed) } : {}),
      ...(md.spec.traffic?.router === 'gatewayAPI'
        ? {
            routeBlocked: this.gatewayApiMissing(md)
              ? GATEWAY_API_MISSING
              : routeBlocked(observed.route),
          }
        : {}),
      now,
    };
    let analysis: AnalysisResult | undefined;
    if (md.spec.canary && analysisDue(input)) {
      const outcome = await this.deps.analyze(md, md.spec.canary.model.version);
      log.info({ analysis: outcome }, 'canary analysis');
      analysis = analysisForStatus(outcome);
    }
    const shadowGate = await this.measureShadowGateIfDue(md, input, log);
    return decideRollout({ ...input, analysis, ...(shadowGate ? { shadowGate } : {}) });
  }

  /** The shadow gate's comparisons since it started, when shadowGateDue says so. */
  private async measureShadowGateIfDue(
    md: ModelDeployment,
    input: Omit<RolloutInput, 'analysis' | 'shadowGate'>,
    log: Logger,
  ): Promise<ShadowGateReading | undefined> {
    const canary = md.spec.canary;
    const url = canary === undefined ? undefined : shadowGateUrl(canary);
    const started = Date.parse(md.status.canary?.shadowGate?.startedAt ?? '');
    if (url === undefined || Number.isNaN(started) || !shadowGateDue(input)) return undefined;
    const reading = await readShadowGate(md, {
      prometheusUrl: url,
      startedAtMs: started,
      now: input.now,
      allowed: this.deps.prometheusUrlAllowed,
      log: log.child({ part: 'shadow-gate' }),
    });
    log.info({ shadowGate: reading }, 'shadow gate measured');
    return reading;
  }

  /** The shadow gate's Prometheus URL is outside the allow-list: the rollout holds and says why. */
  private refusedShadowGate(md: ModelDeployment): { shadowGateRefused?: string } {
    const canary = md.spec.canary;
    if (canary?.shadow === undefined) return {};
    const url = shadowGateUrl(canary);
    if (url === undefined || this.deps.prometheusUrlAllowed(url)) return {};
    return {
      shadowGateRefused: `the shadow gate's Prometheus ${url} is not in the operator's allow-list of Prometheus URLs; use an allowed one, or ask the operator's administrators to add it (ANALYSIS_PROMETHEUS_URLS, chart value analysis.allowedPrometheusUrls)`,
    };
  }

  private async missingSecrets(md: ModelDeployment): Promise<string[]> {
    const names = [
      md.spec.auth?.apiKeySecretRef?.name,
      md.spec.auth?.jwt?.keysSecretRef.name,
      md.spec.model.credentials?.secretName,
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
    const log = this.deps.log.child({
      modelDeployment: `${raw.metadata.namespace}/${raw.metadata.name}`,
    });
    const writes = await writeStatus(this.deps.client, raw, status, log);
    if (writes > 0)
      await this.deps.record(raw, { type: 'Warning', reason: 'InvalidSpec', message });
    return { writes };
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

/** The shadow track as the shadow gate judges it (the candidate's pods while Shadowing). */
function shadowTrackOf(observed: ChildObservation): CanaryObservation {
  const track = observed.shadow;
  const problem = observed.shadowProblem;
  return {
    replicas: track?.replicas ?? 0,
    readyReplicas: track?.readyReplicas ?? 0,
    available: track !== undefined && track.available && track.updatedReplicas >= track.desired,
    ...(track?.version !== undefined ? { version: track.version } : {}),
    ...(problem !== undefined ? { crashLoop: problem.message } : {}),
  };
}
