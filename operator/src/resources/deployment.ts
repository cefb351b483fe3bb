import type {
  V1Affinity,
  V1Container,
  V1Deployment,
  V1PodSecurityContext,
  V1PodSpec,
  V1Probe,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Toleration,
  V1TopologySpreadConstraint,
} from '@kubernetes/client-node';
import type { ModelDeployment } from '../api/model-deployment.js';
import { runtimeSpec, type RuntimeSpec } from '../api/model-deployment-spec.js';
import { deploymentName } from './names.js';
import { childMetadata } from './owner.js';
import { selectorLabels, trackLabels } from './labels.js';
import {
  HEALTH_PATH,
  METRICS_PATH,
  READY_PATH,
  RUNTIME_CONTAINER_NAME,
  RUNTIME_GRPC_PORT,
  RUNTIME_GRPC_PORT_NAME,
  RUNTIME_PORT,
  RUNTIME_PORT_NAME,
  RUNTIME_UID,
  TERMINATION_GRACE_SECONDS,
} from './runtime-contract.js';
import { runtimeEnv, type RuntimeEnvOptions } from './runtime-env.js';
import { runtimeVolumes } from './volumes.js';
import { definedFields } from './defined-fields.js';

export interface DeploymentOptions extends RuntimeEnvOptions {
  /** undefined = leave spec.replicas out entirely, because an HPA owns it. */
  replicas: number | undefined;
  /** The image the operator was configured with, used when spec.runtime.image is unset. */
  defaultImage: string;
  /** This track's own resources (spec.shadow.resources); spec.runtime.resources otherwise. */
  resources?: RuntimeSpec['resources'];
}

/** Old ReplicaSets kept for `kubectl rollout undo`; each one is a full pod template in etcd. */
const REVISION_HISTORY_LIMIT = 3;

const STARTUP_PERIOD_SECONDS = 2;
const DEFAULT_STARTUP_TIMEOUT_SECONDS = runtimeSpec.parse({}).startupTimeoutSeconds;

function httpGet(path: string): V1Probe['httpGet'] {
  return { path, port: RUNTIME_PORT_NAME };
}

/**
 * Three probes, because loading a model is slow and serving is not: the startup probe gives
 * download, verification and warm-up up to startupTimeoutSeconds; after it, readiness takes a
 * pod out of the Service within seconds and liveness restarts a wedged process.
 */
function probes(
  runtime: RuntimeSpec | undefined,
): Pick<V1Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> {
  const startupTimeout = runtime?.startupTimeoutSeconds ?? DEFAULT_STARTUP_TIMEOUT_SECONDS;
  return {
    startupProbe: {
      httpGet: httpGet(READY_PATH),
      periodSeconds: STARTUP_PERIOD_SECONDS,
      failureThreshold: Math.ceil(startupTimeout / STARTUP_PERIOD_SECONDS),
    },
    readinessProbe: { httpGet: httpGet(READY_PATH), periodSeconds: 5 },
    livenessProbe: { httpGet: httpGet(HEALTH_PATH), periodSeconds: 10, failureThreshold: 3 },
  };
}

/** The restricted Pod Security Standard, so the runtime runs in namespaces that enforce it. */
function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: RUNTIME_UID,
    runAsGroup: RUNTIME_UID,
    fsGroup: RUNTIME_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function containerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
}

/** The API accepts numbers for quantities (cpu: 1); the typed client wants strings. */
function resources(spec: RuntimeSpec['resources']): V1ResourceRequirements | undefined {
  if (!spec) return undefined;
  const quantities = (q: Record<string, number | string> | undefined) =>
    q && Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)]));
  return definedFields({ requests: quantities(spec.requests), limits: quantities(spec.limits) });
}

function container(
  md: ModelDeployment,
  opts: DeploymentOptions,
  mounts: V1Container['volumeMounts'],
): V1Container {
  const runtime = md.spec.runtime;
  return definedFields({
    name: RUNTIME_CONTAINER_NAME,
    image: runtime?.image ?? opts.defaultImage,
    imagePullPolicy: runtime?.imagePullPolicy,
    // protocol is the API default, spelled out because it is part of the list's merge key.
    ports: [
      { name: RUNTIME_PORT_NAME, containerPort: RUNTIME_PORT, protocol: 'TCP' },
      { name: RUNTIME_GRPC_PORT_NAME, containerPort: RUNTIME_GRPC_PORT, protocol: 'TCP' },
    ],
    env: runtimeEnv(md, opts),
    resources: resources(opts.resources ?? runtime?.resources),
    volumeMounts: mounts,
    ...probes(runtime),
    securityContext: containerSecurityContext(),
    // The golden check writes its verdict to /dev/termination-log; logs are the fallback.
    terminationMessagePolicy: 'FallbackToLogsOnError',
  });
}

/** Placement is passed through unchanged; the API server validates it on the Deployment. */
function placement(runtime: RuntimeSpec | undefined): Partial<V1PodSpec> {
  return definedFields({
    nodeSelector: runtime?.nodeSelector,
    tolerations: runtime?.tolerations as V1Toleration[] | undefined,
    affinity: runtime?.affinity as V1Affinity | undefined,
    topologySpreadConstraints: runtime?.topologySpreadConstraints as
      V1TopologySpreadConstraint[] | undefined,
    serviceAccountName: runtime?.serviceAccountName,
    priorityClassName: runtime?.priorityClassName,
  });
}

function podSpec(md: ModelDeployment, opts: DeploymentOptions): V1PodSpec {
  const { volumes, mounts } = runtimeVolumes(md, opts.model, opts.track);
  return {
    containers: [container(md, opts, mounts)],
    volumes,
    securityContext: podSecurityContext(),
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    ...placement(md.spec.runtime),
  };
}

/** Annotation-based discovery, the convention most Prometheus setups scrape by. */
const PROMETHEUS_ANNOTATIONS: Record<string, string> = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(RUNTIME_PORT),
  'prometheus.io/path': METRICS_PATH,
};

/**
 * Marks a Deployment whose spec.replicas an autoscaler owns. Its arrival on the live object
 * tells the operator that the field was already handed over (see controller/child-sync.ts).
 */
export const REPLICAS_ANNOTATION = 'modeldeploy.io/replicas';
export const REPLICAS_BY_AUTOSCALER = 'autoscaler';

/** The runtime Deployment of one track. */
export function buildDeployment(md: ModelDeployment, opts: DeploymentOptions): V1Deployment {
  const labels = trackLabels(md, opts.track, opts.model.version);
  const metadata = childMetadata(md, deploymentName(md, opts.track), labels);
  if (opts.replicas === undefined)
    metadata.annotations = { [REPLICAS_ANNOTATION]: REPLICAS_BY_AUTOSCALER };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata,
    spec: {
      // Absent, not null or 0, when an HPA owns it: applying any value would fight the HPA.
      ...(opts.replicas !== undefined && { replicas: opts.replicas }),
      selector: { matchLabels: selectorLabels(md, opts.track) },
      // Never drop below the serving capacity: a new pod must load its model before an old one goes.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      progressDeadlineSeconds: md.spec.progressDeadlineSeconds,
      revisionHistoryLimit: REVISION_HISTORY_LIMIT,
      template: {
        metadata: { labels, annotations: PROMETHEUS_ANNOTATIONS },
        spec: podSpec(md, opts),
      },
    },
  };
}
