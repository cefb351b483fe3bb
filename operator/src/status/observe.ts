import type { KubeObject } from '../kube/object.js';
import type { AutoscalerObservation, DeploymentObservation, PodProblem } from './observation.js';
import { storageFailureReason } from './storage-failure.js';

interface DeploymentCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface DeploymentShape {
  spec?: { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: DeploymentCondition[];
  };
}

/** Reduces a live Deployment to the figures status is computed from. */
export function observeDeployment(dep: KubeObject | undefined): DeploymentObservation | undefined {
  if (!dep) return undefined;
  const d = dep as KubeObject & DeploymentShape;
  const conditions = d.status?.conditions ?? [];
  const progressing = conditions.find((c) => c.type === 'Progressing');
  return {
    generation: dep.metadata.generation ?? 0,
    observedGeneration: d.status?.observedGeneration ?? 0,
    desired: d.spec?.replicas ?? 1,
    replicas: d.status?.replicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    availableReplicas: d.status?.availableReplicas ?? 0,
    available: conditions.some((c) => c.type === 'Available' && c.status === 'True'),
    deadlineExceeded:
      progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded',
    version: d.spec?.template?.metadata?.labels?.['app.kubernetes.io/version'],
  };
}

interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string };
}

interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

interface PodShape {
  status?: { containerStatuses?: ContainerStatus[] };
}

/** Marks the runtime writes at the start of its termination message when a golden request fails. */
const GOLDEN_MARKER = /golden/i;

/**
 * How long a previous crash still speaks for a container that is not ready. Older ones are
 * history: a pod OOM-killed once last week and serving since is not a failed model.
 */
const RECENT_CRASH_MS = 10 * 60_000;

/** The failed termination that describes the container now, if any. */
function currentFailure(
  cs: ContainerStatus,
  now: Date,
): NonNullable<ContainerState['terminated']> | undefined {
  const failed = (t: ContainerState['terminated']): boolean =>
    t !== undefined && (t.exitCode ?? 0) !== 0;
  if (failed(cs.state?.terminated)) return cs.state?.terminated;
  const last = cs.lastState?.terminated;
  if (!failed(last) || cs.ready === true) return undefined;
  const finished = last?.finishedAt ? Date.parse(last.finishedAt) : NaN;
  // Crash-looping (waiting to restart) or a crash moments ago while it is not ready again.
  const recent = Number.isNaN(finished) || now.getTime() - finished <= RECENT_CRASH_MS;
  return cs.state?.waiting?.reason === 'CrashLoopBackOff' || recent ? last : undefined;
}

/**
 * Why runtime pods of one version cannot serve, read from the current container states: a
 * termination message (the runtime writes one when the model fails to load, its digest
 * differs or a golden request disagrees) or a crash loop. A container that restarted once
 * and is ready again is not a problem.
 */
export function podProblem(
  pods: readonly KubeObject[],
  version: string | undefined,
  now: Date,
): PodProblem | undefined {
  for (const pod of pods) {
    if (version !== undefined && pod.metadata.labels?.['app.kubernetes.io/version'] !== version)
      continue;
    for (const cs of (pod as KubeObject & PodShape).status?.containerStatuses ?? []) {
      const terminated = currentFailure(cs, now);
      if (terminated) {
        const message = (
          terminated.message ??
          terminated.reason ??
          `exit code ${terminated.exitCode}`
        ).trim();
        const reason =
          storageFailureReason(message) ??
          (GOLDEN_MARKER.test(message) ? 'GoldenCheckFailed' : 'ModelLoadFailed');
        return { reason, message: `pod ${pod.metadata.name}: ${message}` };
      }
      if (cs.state?.waiting?.reason === 'CrashLoopBackOff') {
        return {
          reason: 'ModelLoadFailed',
          message: `pod ${pod.metadata.name} is crash-looping; see its logs`,
        };
      }
    }
  }
  return undefined;
}

interface HpaShape {
  status?: {
    desiredReplicas?: number;
    currentMetrics?: {
      type: string;
      pods?: { current?: { averageValue?: string } };
      resource?: { current?: { averageUtilization?: number } };
    }[];
    conditions?: DeploymentCondition[];
  };
}

/** What the HPA reports, so `kubectl get mdep -o yaml` tells the scaling story. */
export function observeAutoscaler(hpa: KubeObject | undefined): AutoscalerObservation | undefined {
  if (!hpa) return undefined;
  const status = (hpa as KubeObject & HpaShape).status;
  const metric = status?.currentMetrics?.[0];
  const value =
    metric?.pods?.current?.averageValue ??
    (metric?.resource?.current?.averageUtilization !== undefined
      ? `${metric.resource.current.averageUtilization}%`
      : undefined);
  const scalingActive = status?.conditions?.find((c) => c.type === 'ScalingActive');
  return {
    currentValue: value,
    desiredReplicas: status?.desiredReplicas,
    metricUnavailable:
      scalingActive?.status === 'False'
        ? `${scalingActive.reason ?? 'ScalingInactive'}: ${scalingActive.message ?? ''}`
        : undefined,
  };
}
