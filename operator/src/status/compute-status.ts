import { servedModelName, type ModelDeployment } from '../api/model-deployment.js';
import type { ModelDeploymentStatus } from '../api/model-deployment-status.js';
import { mergeConditions, type DesiredCondition } from './conditions.js';
import type { DeploymentObservation, Observed, RolloutSummary } from './observation.js';

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

/** Why the stable track is not (yet) serving as asked, or undefined when it is. */
function stableRolloutPending(
  dep: DeploymentObservation | undefined,
  paused: boolean,
): Verdict | undefined {
  if (!dep) return { reason: 'Creating', message: 'creating the runtime Deployment' };
  if (paused) return undefined;
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
  if (dep.readyReplicas < dep.desired) {
    return {
      reason: 'WaitingForReady',
      message: `${dep.readyReplicas} of ${dep.desired} pods are ready`,
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
      message: `Secret ${names} not found in namespace ${md.metadata.namespace}; create it or fix spec.auth`,
    };
  }
  const refused = observed.rejected[0];
  if (refused) {
    return {
      reason: 'ChildRejected',
      message: `the API server refused the ${refused.kind} ${refused.name}: ${refused.message}; fix the ModelDeployment field it names`,
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

function desiredConditions(ctx: StatusContext): DesiredCondition[] {
  const { observed, rollout, md } = ctx;
  const problem = blockingProblem(ctx);
  const pending = problem ? undefined : stableRolloutPending(observed.stable, md.spec.paused);
  const available = availability(observed.stable);
  const stalled = problem && problem.reason !== 'SecretNotFound' ? problem : rollout.stalled;
  const degraded = problem ?? rollout.degraded ?? autoscalerProblem(observed);
  const progressing = pending ?? rollout.progressing;
  const serving = available.status === 'True' && !problem && !pending;
  const ready: DesiredCondition = serving
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'Serving',
        message: `serving ${md.spec.model.version === rollout.stableVersion ? 'version ' : 'promoted version '}${rollout.stableVersion}`,
      }
    : {
        type: 'Ready',
        status: 'False',
        ...(problem ?? pending ?? { reason: available.reason, message: available.message }),
      };
  return [
    ready,
    available,
    progressing
      ? { type: 'Progressing', status: 'True', ...progressing }
      : {
          type: 'Progressing',
          status: 'True',
          reason: 'RolloutComplete',
          message: 'the runtime Deployment is up to date',
        },
    degraded
      ? { type: 'Degraded', status: 'True', ...degraded }
      : { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
    progressing && !stalled
      ? { type: 'Reconciling', status: 'True', ...progressing }
      : problem?.reason === 'SecretNotFound'
        ? {
            type: 'Reconciling',
            status: 'True',
            reason: 'WaitingForSecret',
            message: problem.message,
          }
        : { type: 'Reconciling', status: 'False', reason: 'Reconciled', message: '' },
    stalled
      ? { type: 'Stalled', status: 'True', ...stalled }
      : { type: 'Stalled', status: 'False', reason: 'AsExpected', message: '' },
  ];
}

/** Status computed from the resource and what the cluster reports; no I/O. */
export function computeStatus(ctx: StatusContext): ModelDeploymentStatus {
  const { md, observed, rollout } = ctx;
  const stable = observed.stable;
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
      version: rollout.stableVersion,
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
