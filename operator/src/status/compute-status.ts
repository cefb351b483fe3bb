import { servedModelName, type ModelDeployment } from '../api/model-deployment.js';
import type { ModelDeploymentStatus } from '../api/model-deployment-status.js';
import { mergeConditions, type DesiredCondition } from './conditions.js';
import type { DeploymentObservation, Observed, RolloutSummary } from './observation.js';
import { GATEWAY_API_MISSING } from './observe-route.js';

export interface StatusContext {
  md: ModelDeployment;
  observed: Observed;
  rollout: RolloutSummary;
  url: string;
  selector: string;
  now: Date;
}

interface Verdict {
  reason: string;
  message: string;
}

/** True once the Deployment controller has observed the newest template and finished rolling it. */
export function rolled(dep: DeploymentObservation): boolean {
  return (
    dep.observedGeneration >= dep.generation &&
    dep.updatedReplicas >= dep.desired &&
    dep.availableReplicas >= dep.desired &&
    dep.replicas <= dep.desired
  );
}

/** Why the stable track is not (yet) serving what was applied, or undefined when it is. */
function stableRolloutPending(dep: DeploymentObservation | undefined): Verdict | undefined {
  if (!dep) return { reason: 'Creating', message: 'creating the runtime Deployment' };
  if (dep.observedGeneration < dep.generation) {
    return {
      reason: 'RollingUpdate',
      message: 'the Deployment controller has not seen the latest change yet',
    };
  }
  if (dep.updatedReplicas < dep.desired) {
    return {
      reason: 'RollingUpdate',
      message: `${dep.updatedReplicas} of ${dep.desired} pods run the new version`,
    };
  }
  if (dep.readyReplicas < dep.desired || dep.availableReplicas < dep.desired) {
    return {
      reason: 'WaitingForReady',
      message: `${Math.min(dep.readyReplicas, dep.availableReplicas)} of ${dep.desired} pods are ready`,
    };
  }
  if (dep.replicas > dep.desired) {
    return {
      reason: 'RollingUpdate',
      message: `${dep.replicas - dep.desired} old pods are terminating`,
    };
  }
  return undefined;
}

/** The blocking problem, in order of what a user must fix first. */
function blockingProblem(ctx: StatusContext): Verdict | undefined {
  const { observed, md } = ctx;
  if (observed.missingSecrets.length > 0) {
    const names = observed.missingSecrets.join(', ');
    return {
      reason: 'SecretNotFound',
      message: `Secret ${names} not found in namespace ${md.metadata.namespace}; the running pods are kept as they are until it exists. Create it or fix spec.auth`,
    };
  }
  const taken = observed.conflicts[0];
  if (taken) {
    return {
      reason: 'ChildConflict',
      message: `${taken.kind} ${taken.name} already exists and is controlled by ${taken.owner}; the operator leaves it alone. Delete or rename that object, or give this ModelDeployment another name`,
    };
  }
  const refused = observed.rejected[0];
  if (refused) {
    return {
      reason: 'ChildRejected',
      message: `the API server refused the ${refused.kind} ${refused.name}: ${refused.message}; fix the ModelDeployment field it names`,
    };
  }
  if (observed.failure?.permanent) return observed.failure;
  if (observed.gatewayApiMissing)
    return { reason: 'GatewayAPINotInstalled', message: GATEWAY_API_MISSING };
  const route = observed.route;
  if (route && (route.accepted === 'False' || route.resolvedRefs === 'False')) {
    return {
      reason: 'RouteNotAccepted',
      message: `the Gateway does not route the HTTPRoute ${md.metadata.name}: ${route.message}; fix spec.traffic.gatewayRef or the Gateway's listeners`,
    };
  }
  if (observed.stableProblem) return observed.stableProblem;
  if (observed.stable?.deadlineExceeded) {
    return {
      reason: 'ProgressDeadlineExceeded',
      message: `the runtime pods did not become ready within ${md.spec.progressDeadlineSeconds}s; check pod events and logs`,
    };
  }
  return undefined;
}

/** An HPA that cannot read its metric does not scale: say so instead of failing silently. */
function autoscalerProblem(observed: Observed): Verdict | undefined {
  const why = observed.autoscaler?.metricUnavailable;
  if (!why) return undefined;
  return {
    reason: 'AutoscalingMetricUnavailable',
    message: `the HPA cannot read its metric, so the model does not scale (${why}); install the chart's prometheus-adapter rules or see docs/autoscaling.md`,
  };
}

function availability(dep: DeploymentObservation | undefined): DesiredCondition {
  if (dep && dep.available && dep.availableReplicas > 0) {
    return {
      type: 'Available',
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: `${dep.availableReplicas} pods serve the model`,
    };
  }
  if (dep && dep.desired === 0) {
    return {
      type: 'Available',
      status: 'False',
      reason: 'ScaledToZero',
      message: 'spec.replicas is 0',
    };
  }
  return {
    type: 'Available',
    status: 'False',
    reason: 'NoReadyPods',
    message: 'no runtime pod is ready yet',
  };
}

/** The model version the stable pods really run: the rolled template's, else what ran before. */
function servingVersion(ctx: StatusContext): string | undefined {
  const dep = ctx.observed.stable;
  if (dep && rolled(dep)) return dep.version;
  return ctx.md.status.stable?.version;
}

/**
 * Ready=True is a settled state that serves what was asked: a model scaled to zero is
 * settled too (kstatus reads Ready=False as InProgress forever), and a paused one says
 * Paused and names the version that really runs.
 */
function readyCondition(ctx: StatusContext, blocker: Verdict | undefined): DesiredCondition {
  const { md, observed } = ctx;
  const available = availability(observed.stable);
  if (blocker) return { type: 'Ready', status: 'False', ...blocker };
  const version = servingVersion(ctx);
  if (md.spec.paused) {
    const notRolled =
      version !== md.spec.model.version
        ? `; spec.model.version ${md.spec.model.version} is not rolled out`
        : '';
    const serving = available.status === 'True' || available.reason === 'ScaledToZero';
    return {
      type: 'Ready',
      status: serving ? 'True' : 'False',
      reason: 'Paused',
      message: `paused: ${serving ? `serving version ${version ?? 'unknown'}` : 'no pod serves'}${notRolled}; set spec.paused to false to apply the spec`,
    };
  }
  if (available.reason === 'ScaledToZero') {
    return {
      type: 'Ready',
      status: 'True',
      reason: 'ScaledToZero',
      message: 'scaled to zero as spec.replicas asks; no pod serves',
    };
  }
  if (available.status !== 'True') {
    return { type: 'Ready', status: 'False', reason: available.reason, message: available.message };
  }
  const promoted = md.spec.model.version === version ? 'version ' : 'promoted version ';
  return {
    type: 'Ready',
    status: 'True',
    reason: 'Serving',
    message: `serving ${promoted}${version ?? ''}`,
  };
}

function reconcilingCondition(
  ctx: StatusContext,
  problem: Verdict | undefined,
  progressing: Verdict | undefined,
  stalled: Verdict | undefined,
): DesiredCondition {
  const failure = ctx.observed.failure;
  if (failure && !failure.permanent)
    return {
      type: 'Reconciling',
      status: 'True',
      reason: failure.reason,
      message: failure.message,
    };
  if (progressing && !stalled) return { type: 'Reconciling', status: 'True', ...progressing };
  if (problem?.reason === 'SecretNotFound') {
    return {
      type: 'Reconciling',
      status: 'True',
      reason: 'WaitingForSecret',
      message: problem.message,
    };
  }
  return { type: 'Reconciling', status: 'False', reason: 'Reconciled', message: '' };
}

function progressingCondition(
  ctx: StatusContext,
  progressing: Verdict | undefined,
): DesiredCondition {
  if (progressing) return { type: 'Progressing', status: 'True', ...progressing };
  if (ctx.md.spec.paused) {
    return {
      type: 'Progressing',
      status: 'False',
      reason: 'Paused',
      message: 'spec.paused is true: changes to the spec are not applied',
    };
  }
  return {
    type: 'Progressing',
    status: 'True',
    reason: 'RolloutComplete',
    message: 'the runtime Deployment is up to date',
  };
}

/** Under router gatewayAPI, the route must be accepted before the model is reachable through it. */
function routePending(ctx: StatusContext): Verdict | undefined {
  if (ctx.md.spec.traffic?.router !== 'gatewayAPI') return undefined;
  const route = ctx.observed.route;
  if (route && route.accepted === 'True') return undefined;
  return {
    reason: 'WaitingForRoute',
    message: route ? route.message : 'creating the HTTPRoute',
  };
}

function desiredConditions(ctx: StatusContext): DesiredCondition[] {
  const { observed, rollout } = ctx;
  const problem = blockingProblem(ctx);
  const pending = problem
    ? undefined
    : (stableRolloutPending(observed.stable) ?? routePending(ctx));
  const stalled = problem && problem.reason !== 'SecretNotFound' ? problem : rollout.stalled;
  const degraded = problem ?? rollout.degraded ?? autoscalerProblem(observed);
  const progressing = pending ?? rollout.progressing;
  return [
    readyCondition(ctx, problem ?? pending),
    availability(observed.stable),
    progressingCondition(ctx, progressing),
    degraded
      ? { type: 'Degraded', status: 'True', ...degraded }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
    reconcilingCondition(ctx, problem, progressing, stalled),
    stalled
      ? { type: 'Stalled', status: 'True', ...stalled }
      : { type: 'Stalled', status: 'False', reason: 'AsExpected', message: '' },
  ];
}

/** Status computed from the resource and what the cluster reports; no I/O. */
export function computeStatus(ctx: StatusContext): ModelDeploymentStatus {
  const { md, observed, rollout } = ctx;
  const stable = observed.stable;
  const version = servingVersion(ctx);
  const status: ModelDeploymentStatus = {
    observedGeneration: md.metadata.generation,
    model: servedModelName(md),
    conditions: mergeConditions(
      md.status.conditions,
      desiredConditions(ctx),
      md.metadata.generation,
      ctx.now,
    ),
    url: ctx.url,
    stable: {
      ...(version !== undefined ? { version } : {}),
      replicas: stable?.replicas ?? 0,
      readyReplicas: stable?.readyReplicas ?? 0,
      weight: rollout.stableWeight,
    },
    replicas: stable?.replicas ?? 0,
    readyReplicas: stable?.readyReplicas ?? 0,
    selector: ctx.selector,
  };
  if (rollout.canary) status.canary = rollout.canary;
  if (observed.autoscaler) {
    status.autoscaling = {};
    if (observed.autoscaler.currentValue !== undefined)
      status.autoscaling.currentValue = observed.autoscaler.currentValue;
    if (observed.autoscaler.desiredReplicas !== undefined)
      status.autoscaling.desiredReplicas = observed.autoscaler.desiredReplicas;
  }
  return status;
}
