import { z } from 'zod';
import { withRules } from './cel-rule.js';
import { observabilitySpec } from './observability-spec.js';
import { secretKeyRef } from './secret-key-ref.js';
import { shadowGateSpec } from './shadow-gate-spec.js';
import { modelCredentialsSpec, modelStorageSpec } from './model-storage-spec.js';
import {
  DEFAULT_ERROR_STATUS_CODES,
  DEFAULT_IGNORED_STATUS_CODES,
  STATUS_CODE_PATTERN,
} from '../rollout/error-status-codes.js';

/**
 * The ModelDeployment spec: the single source of truth for the TypeScript types, the
 * operator's parsing and defaulting, and the CRD's openAPIV3Schema (see crd.ts).
 * Every field carries a description because `kubectl explain` shows it to users.
 */

/** Kubernetes objects we pass through to pods unchanged; the API server validates them there. */
const passThroughObject = (description: string) =>
  z.record(z.string(), z.unknown()).describe(description).meta({
    'x-kubernetes-preserve-unknown-fields': true,
  });

const intOrString = (description: string) =>
  z.union([z.number().int(), z.string()]).describe(description).meta({
    'x-kubernetes-int-or-string': true,
  });

const MODEL_URI_PATTERN =
  '^(https?://[^\\s]+|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\\s]+|gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]/[^\\s]+|pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?/[^\\s]+|file:///[^\\s]+)$';
const modelUriRegex = new RegExp(MODEL_URI_PATTERN);

export const modelUri = withRules(
  z
    .string()
    .min(1)
    .max(2048)
    .describe(
      'Where the runtime loads the ONNX file from: https://… or http://… or s3://<bucket>/<key> or gs://<bucket>/<object> (downloaded at start-up; see credentials and storage), pvc://<claim>/<path> (the claim is mounted read-only), or file:///<path> (baked into the runtime image).',
    ),
  [
    {
      rule: `self.matches('${MODEL_URI_PATTERN.replace(/\\/g, '\\\\')}')`,
      message:
        'uri must start with https://, http://, s3://<bucket>/<key>, gs://<bucket>/<object>, pvc://<claim>/<path> or file:///<path>; other schemes (hf://) are not supported',
      holds: (uri) => modelUriRegex.test(uri),
    },
  ],
);

const sha256 = z
  .string()
  .regex(/^[a-f0-9]{64}$/)
  .describe(
    'Expected SHA-256 of the model file as 64 lower-case hex digits; the runtime refuses to serve a file whose digest differs.',
  );

const version = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/)
  .describe(
    'Model version, reported in every response and used as the app.kubernetes.io/version label, so it must be a valid label value.',
  );

export const modelSpec = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/)
      .optional()
      .describe(
        'Name the model is served under (URL paths, responses). Defaults to metadata.name.',
      ),
    version,
    uri: modelUri,
    sha256: sha256.optional(),
    // --- model storage (model-storage-spec.ts) ---
    credentials: modelCredentialsSpec.optional(),
    storage: modelStorageSpec.optional(),
    // --- end of model storage ---
  })
  .describe('The model the stable track serves.');

const envVar = z
  .strictObject({
    name: z.string().min(1).describe('Environment variable name.'),
    value: z.string().optional().describe('Literal value.'),
    valueFrom: passThroughObject(
      'A Kubernetes EnvVarSource (secretKeyRef, configMapKeyRef, fieldRef).',
    ).optional(),
  })
  .describe('An environment variable added to the runtime container.');

const resourcesSpec = z.strictObject({
  requests: z
    .record(z.string(), intOrString('A quantity.'))
    .optional()
    .describe('Minimum resources, e.g. {cpu: 500m, memory: 512Mi}.'),
  limits: z
    .record(z.string(), intOrString('A quantity.'))
    .optional()
    .describe('Maximum resources.'),
});

export const runtimeSpec = z
  .strictObject({
    image: z
      .string()
      .min(1)
      .optional()
      .describe('Runtime image. Defaults to the image the operator was configured with.'),
    imagePullPolicy: z
      .enum(['Always', 'IfNotPresent', 'Never'])
      .optional()
      .describe('Image pull policy of the runtime container.'),
    resources: resourcesSpec.optional().describe('Compute resources of the runtime container.'),
    env: z
      .array(envVar)
      .max(64)
      .optional()
      .describe('Extra environment variables for the runtime container.'),
    threads: z
      .strictObject({
        intraOp: z
          .number()
          .int()
          .min(1)
          .max(256)
          .optional()
          .describe('onnxruntime intra-op threads per session.'),
        interOp: z
          .number()
          .int()
          .min(1)
          .max(256)
          .optional()
          .describe('onnxruntime inter-op threads per session.'),
      })
      .optional()
      .describe('onnxruntime threading; leave unset to let onnxruntime use the container CPUs.'),
    nodeSelector: z
      .record(z.string(), z.string())
      .optional()
      .describe('Node labels the runtime pods must match.'),
    tolerations: z
      .array(passThroughObject('A Kubernetes Toleration.'))
      .optional()
      .describe('Tolerations of the runtime pods.'),
    affinity: passThroughObject('A Kubernetes Affinity for the runtime pods.').optional(),
    topologySpreadConstraints: z
      .array(passThroughObject('A Kubernetes TopologySpreadConstraint.'))
      .optional()
      .describe('How runtime pods spread over zones and nodes.'),
    serviceAccountName: z
      .string()
      .optional()
      .describe('ServiceAccount of the runtime pods (e.g. for workload identity to fetch models).'),
    priorityClassName: z.string().optional().describe('PriorityClass of the runtime pods.'),
    startupTimeoutSeconds: z
      .number()
      .int()
      .min(10)
      .max(3600)
      .default(300)
      .describe(
        'How long a runtime may take to download, verify and warm up its model before it is restarted.',
      ),
  })
  .describe('How runtime pods run: image, resources, threads and placement.');

export const batchingSpec = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Join concurrent requests into one inference call.'),
    maxBatchSize: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(32)
      .describe('Most rows in one inference call.'),
    maxDelayMs: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(2)
      .describe('Longest a request waits for others to join its batch, in milliseconds.'),
    maxQueue: z
      .number()
      .int()
      .min(1)
      .max(100000)
      .default(256)
      .describe(
        'Requests waiting beyond this are refused with 503 and Retry-After instead of queueing.',
      ),
  })
  .describe('Dynamic batching in the runtime.');

export const autoscalingMetrics = ['latencyP95', 'inflight', 'cpu'] as const;
export type AutoscalingMetric = (typeof autoscalingMetrics)[number];

const autoscalingShape = z.strictObject({
  minReplicas: z.number().int().min(1).max(1000).default(1).describe('Fewest runtime pods.'),
  maxReplicas: z.number().int().min(1).max(1000).describe('Most runtime pods.'),
  metric: z
    .enum(autoscalingMetrics)
    .default('latencyP95')
    .describe(
      'What the HPA scales on: latencyP95 (per-pod p95 request latency), inflight (requests in progress per pod) or cpu (utilization of requests).',
    ),
  targetLatencyMs: z
    .number()
    .int()
    .min(1)
    .max(600000)
    .optional()
    .describe('Per-pod p95 latency to hold, in milliseconds (metric latencyP95).'),
  targetInflight: z
    .number()
    .int()
    .min(1)
    .max(100000)
    .optional()
    .describe('Requests in progress per pod to hold (metric inflight).'),
  targetCPUUtilization: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe('CPU utilization in percent of requests to hold (metric cpu).'),
  scaleDownStabilizationSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(300)
    .describe('How long load must stay low before the HPA removes pods.'),
});
type AutoscalingShape = z.output<typeof autoscalingShape>;

const targetFor: Record<AutoscalingMetric, keyof AutoscalingShape> = {
  latencyP95: 'targetLatencyMs',
  inflight: 'targetInflight',
  cpu: 'targetCPUUtilization',
};

export const autoscalingSpec = withRules(autoscalingShape, [
  {
    rule: 'self.minReplicas <= self.maxReplicas',
    message: 'minReplicas must be less than or equal to maxReplicas',
    path: ['minReplicas'],
    holds: (a) => a.minReplicas <= a.maxReplicas,
  },
  ...autoscalingMetrics.map((metric) => {
    const wanted = targetFor[metric];
    const others = autoscalingMetrics.filter((m) => m !== metric).map((m) => targetFor[m]);
    return {
      rule: `self.metric != '${metric}' || (has(self.${wanted}) && ${others.map((o) => `!has(self.${o})`).join(' && ')})`,
      message: `metric ${metric} needs ${wanted} and no other target`,
      path: [wanted],
      holds: (a: AutoscalingShape) =>
        a.metric !== metric || (a[wanted] !== undefined && others.every((o) => a[o] === undefined)),
    };
  }),
]).describe(
  'Horizontal autoscaling; when set, the HPA owns the replica count and spec.replicas is ignored.',
);

const tensor = z
  .strictObject({
    name: z.string().min(1).describe('Tensor name as the model declares it.'),
    shape: z
      .array(z.number().int().min(0))
      .max(8)
      .optional()
      .describe('Tensor shape; defaults to [1, len(data)].'),
    datatype: z
      .enum([
        'BOOL',
        'UINT8',
        'UINT16',
        'UINT32',
        'UINT64',
        'INT8',
        'INT16',
        'INT32',
        'INT64',
        'FP32',
        'FP64',
      ])
      .default('FP32')
      .describe('Open Inference Protocol datatype, one the runtime serves (so not FP16 or BYTES).'),
    data: z.array(z.number()).min(1).max(65536).describe('Values in row-major order, flattened.'),
  })
  .describe('A tensor in Open Inference Protocol form.');

export const goldenRequest = z
  .strictObject({
    name: z.string().min(1).max(63).describe('Name used in messages when this request fails.'),
    inputs: z.array(tensor).min(1).describe('Inputs sent to the model.'),
    outputs: z.array(tensor).min(1).describe('Outputs the model must return.'),
    tolerance: z
      .number()
      .min(0)
      .default(0.0001)
      .describe('Largest absolute difference allowed between an expected and an actual value.'),
  })
  .describe('A request whose answer a model must reproduce before it receives traffic.');

const goldenRequests = z
  .array(goldenRequest)
  .max(32)
  .describe('Requests every new runtime pod must answer as expected before it reports ready.');

export const analysisSpec = z
  .strictObject({
    intervalSeconds: z
      .number()
      .int()
      .min(5)
      .max(3600)
      .default(30)
      .describe('Seconds between analysis queries.'),
    maxErrorRate: z
      .number()
      .min(0)
      .max(1)
      .default(0.01)
      .describe(
        'Highest share of error answers (see errorStatusCodes) the canary may give over an interval (0–1).',
      ),
    errorStatusCodes: z
      .array(z.string().regex(STATUS_CODE_PATTERN))
      .min(1)
      .max(20)
      .default([...DEFAULT_ERROR_STATUS_CODES])
      .describe(
        'HTTP status codes ("400") or classes ("5xx") of the canary\'s inference answers that count as errors. The default counts 5xx and the 400 the runtime answers for a request that does not match the model\'s inputs.',
      ),
    ignoredStatusCodes: z
      .array(z.string().regex(STATUS_CODE_PATTERN))
      .max(20)
      .default([...DEFAULT_IGNORED_STATUS_CODES])
      .describe(
        'Status codes or classes analysis leaves out of every measurement, errors and totals alike; they win over errorStatusCodes. The default ignores 429 and 503, the answers with Retry-After that the runtime gives when it sheds load or drains.',
      ),
    maxErrorRateIncrease: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        "Highest amount (0–1) by which the canary's error rate may exceed the stable track's, measured over the same window. Set, the stable track is queried too and a check without stable data is inconclusive.",
      ),
    maxLatencyRatio: z
      .number()
      .min(1)
      .max(100)
      .optional()
      .describe(
        "Highest ratio of the canary's p95 latency to the stable track's, measured over the same window (1.2 = at most 20 % slower). Set, the stable track is queried too and a check without stable data is inconclusive.",
      ),
    maxLatencyP95Ms: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Highest p95 latency in milliseconds the canary may show over an interval.'),
    failureLimit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe('Failed checks after which the rollout is aborted.'),
    inconclusiveLimit: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe(
        'Inconclusive checks in a row (no traffic, no data, Prometheus unreachable) after which the rollout pauses at its step with Stalled=True, reason AnalysisInconclusive, until a check passes or the rollout is promoted or aborted by hand.',
      ),
    prometheusUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/)
      .optional()
      .describe(
        'Prometheus that scrapes the runtime pods. Without it only readiness and golden checks gate steps. The operator queries only URLs its allow-list permits (chart value analysis.allowedPrometheusUrls).',
      ),
  })
  .describe('Metric analysis that gates every canary step.');

const canaryStep = z
  .strictObject({
    weight: z
      .number()
      .int()
      .min(0)
      .max(100)
      .describe('Share of traffic sent to the canary during this step, 0–100.'),
    pauseSeconds: z
      .number()
      .int()
      .min(0)
      .max(86400)
      .default(60)
      .describe('How long this step lasts while analysis passes before the next one starts.'),
  })
  .describe('One step of a canary rollout.');

type CanaryStep = z.output<typeof canaryStep>;

export const canarySpec = withRules(
  z.strictObject({
    model: z
      .strictObject({ version, uri: modelUri, sha256: sha256.optional() })
      .describe('The candidate model.'),
    steps: z
      .array(canaryStep)
      .min(1)
      .max(20)
      .default([
        { weight: 10, pauseSeconds: 60 },
        { weight: 50, pauseSeconds: 60 },
      ])
      .describe(
        'Traffic steps; weights must not decrease. After the last one the candidate is promoted.',
      ),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Canary pods; defaults to the replicas the weight needs (replicaRatio) or 1 (gatewayAPI).',
      ),
    analysis: analysisSpec.optional(),
    shadow: shadowGateSpec.optional(),
    goldenRequests: goldenRequests.optional(),
    promote: z
      .boolean()
      .default(false)
      .describe(
        'Set to true to skip the remaining steps and analysis and promote the candidate now.',
      ),
    abort: z
      .boolean()
      .default(false)
      .describe(
        'Set to true to stop the rollout: canary weight 0, canary scaled to zero. Change the canary model to start over.',
      ),
  }),
  [
    {
      rule: '!(self.promote && self.abort)',
      message: 'set at most one of promote and abort',
      holds: (c) => !(c.promote && c.abort),
    },
    {
      rule: 'self.steps.map(s, s.weight).isSorted()',
      message: 'canary step weights must not decrease',
      path: ['steps'],
      holds: (c) =>
        c.steps.every(
          (s: CanaryStep, i: number) => i === 0 || s.weight >= (c.steps[i - 1]?.weight ?? 0),
        ),
    },
    {
      rule: '!has(self.shadow) || has(self.shadow.prometheusUrl) || (has(self.analysis) && has(self.analysis.prometheusUrl))',
      message:
        'canary.shadow needs a Prometheus to count comparisons: set canary.shadow.prometheusUrl or canary.analysis.prometheusUrl',
      path: ['shadow'],
      holds: (c) =>
        c.shadow === undefined ||
        c.shadow.prometheusUrl !== undefined ||
        c.analysis?.prometheusUrl !== undefined,
    },
  ],
).describe(
  'A candidate model rolled out in weighted steps with analysis; remove this field to end a rollout.',
);

export const shadowSpec = z
  .strictObject({
    model: z
      .strictObject({ version, uri: modelUri, sha256: sha256.optional() })
      .describe('The model the shadow track serves.'),
    percent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe(
        "Share (1–100) of the stable track's answered inference requests each stable pod copies to the shadow.",
      ),
    replicas: z.number().int().min(1).max(1000).default(1).describe('Shadow pods.'),
    resources: resourcesSpec
      .optional()
      .describe('Compute resources of the shadow pods; defaults to spec.runtime.resources.'),
    tolerance: z
      .number()
      .min(0)
      .default(0.0001)
      .describe(
        "Largest absolute difference between an element of the shadow's answer and the user's that still counts as agreement.",
      ),
    prometheusUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/)
      .optional()
      .describe(
        "Prometheus that scrapes the stable pods. Set, status.shadow reports the disagreement rate and the shadow's p95 latency over windowSeconds. The operator queries only URLs its allow-list permits (chart value analysis.allowedPrometheusUrls).",
      ),
    windowSeconds: z
      .number()
      .int()
      .min(30)
      .max(86400)
      .default(300)
      .describe('The window status.shadow measures over, in seconds.'),
  })
  .describe(
    'A model run as a shadow: stable pods copy a share of their answered requests to it and compare its answers with their own. It never answers users. Remove this field to remove the shadow track.',
  );

const gatewayRef = z
  .strictObject({
    group: z
      .string()
      .default('gateway.networking.k8s.io')
      .describe(
        'API group of the parent: gateway.networking.k8s.io for a Gateway, "" for a Service (mesh mode).',
      ),
    kind: z.enum(['Gateway', 'Service']).default('Gateway').describe('Kind of the parent.'),
    name: z.string().min(1).describe('Name of the parent.'),
    namespace: z
      .string()
      .optional()
      .describe('Namespace of the parent; defaults to the ModelDeployment namespace.'),
    sectionName: z.string().optional().describe('Listener (or port name) of the parent.'),
  })
  .describe('The Gateway (or Service, for a mesh) the HTTPRoute and GRPCRoute attach to.');

export const trafficRouters = ['replicaRatio', 'gatewayAPI'] as const;

export const trafficSpec = withRules(
  z.strictObject({
    router: z
      .enum(trafficRouters)
      .default('replicaRatio')
      .describe(
        'replicaRatio: one Service over both tracks, weight approximated by replica counts. gatewayAPI: an HTTPRoute with weighted backends, and a GRPCRoute with the same weights when the cluster serves GRPCRoute.',
      ),
    gatewayRef: gatewayRef.optional(),
    hostnames: z
      .array(z.string().min(1))
      .max(16)
      .optional()
      .describe('Hostnames of the HTTPRoute and GRPCRoute.'),
  }),
  [
    {
      rule: "self.router != 'gatewayAPI' || has(self.gatewayRef)",
      message: 'router gatewayAPI needs gatewayRef',
      path: ['gatewayRef'],
      holds: (t) => t.router !== 'gatewayAPI' || t.gatewayRef !== undefined,
    },
  ],
).describe('How traffic is split between the stable and canary tracks.');

export const authSpec = z
  .strictObject({
    apiKeySecretRef: secretKeyRef(
      'Secret holding accepted API keys, one per line; clients send them as "Authorization: Bearer <key>" or "x-api-key".',
      'api-keys',
    ).optional(),
    jwt: z
      .strictObject({
        issuer: z.string().min(1).describe('Required iss claim.'),
        audiences: z.array(z.string().min(1)).min(1).optional().describe('Accepted aud claims.'),
        algorithms: z
          .array(
            z.enum([
              'RS256',
              'RS384',
              'RS512',
              'PS256',
              'PS384',
              'PS512',
              'ES256',
              'ES384',
              'ES512',
              'EdDSA',
            ]),
          )
          .min(1)
          .default(['RS256', 'ES256'])
          .describe(
            'Signature algorithms accepted; anything else (including none and HS*) is refused.',
          ),
        keysSecretRef: secretKeyRef(
          'Secret holding the verification keys as a JWKS or PEM.',
          'jwks.json',
        ),
        requireExpiry: z
          .boolean()
          .default(true)
          .describe(
            'Refuse tokens without an exp claim (a leaked token that never expires stays valid forever). Set false only for issuers that cannot set one.',
          ),
      })
      .optional()
      .describe('Accept JWT bearer tokens.'),
    protectMetrics: z
      .boolean()
      .default(false)
      .describe(
        'Require credentials for /metrics too (Prometheus must then send them). Health endpoints stay open for probes.',
      ),
  })
  .describe('Who may call the model; without it the endpoints are open inside the cluster.');

export const rateLimitSpec = z
  .strictObject({
    requestsPerSecond: z
      .number()
      .int()
      .min(1)
      .max(1000000)
      .describe('Sustained requests per second per pod.'),
    burst: z
      .number()
      .int()
      .min(1)
      .max(1000000)
      .optional()
      .describe('Requests allowed above the rate in a burst.'),
  })
  .describe('Per-pod rate limit; excess requests get 429 with Retry-After.');

export const requestLimitsSpec = z
  .strictObject({
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .optional()
      .describe(
        'Largest request body in bytes, after decompression; larger bodies get 413. Default 8388608 (8 MiB).',
      ),
    maxRows: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1)
      .optional()
      .describe(
        'Most rows of any input in one request; more get 413. Default 8 × batching.maxBatchSize, at least 1024.',
      ),
    maxElements: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1)
      .optional()
      .describe(
        'Most elements of all inputs of one request together; more get 413. Default maxRows rows of every input.',
      ),
  })
  .describe(
    'How large one request may be. A request over a limit gets 413 naming it, before any inference.',
  );

export const serviceSpec = z
  .strictObject({
    type: z
      .enum(['ClusterIP', 'NodePort', 'LoadBalancer'])
      .default('ClusterIP')
      .describe('Service type.'),
    port: z.number().int().min(1).max(65535).default(80).describe('Port the Service listens on.'),
    annotations: z
      .record(z.string(), z.string())
      .optional()
      .describe('Annotations added to the Service.'),
  })
  .describe('The Service in front of the runtime pods.');

export const disruptionBudgetSpec = withRules(
  z.strictObject({
    minAvailable: intOrString(
      'Pods that must stay up during voluntary disruptions (number or percent).',
    ).optional(),
    maxUnavailable: intOrString(
      'Pods that may be down during voluntary disruptions (number or percent).',
    ).optional(),
  }),
  [
    {
      rule: 'has(self.minAvailable) != has(self.maxUnavailable)',
      message: 'set exactly one of minAvailable and maxUnavailable',
      holds: (d) => (d.minAvailable === undefined) !== (d.maxUnavailable === undefined),
    },
  ],
).describe('A PodDisruptionBudget for the runtime pods.');

export const modelDeploymentSpec = withRules(
  z.strictObject({
    model: modelSpec,
    replicas: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe('Runtime pods when autoscaling is not set. Also the target of `kubectl scale`.'),
    paused: z
      .boolean()
      .default(false)
      .describe('Stop reconciling children and freeze any rollout; status keeps being reported.'),
    progressDeadlineSeconds: z
      .number()
      .int()
      .min(30)
      .max(86400)
      .default(600)
      .describe(
        'How long a rollout may take before Stalled=True with reason ProgressDeadlineExceeded.',
      ),
    runtime: runtimeSpec.optional(),
    batching: batchingSpec.optional(),
    autoscaling: autoscalingSpec.optional(),
    canary: canarySpec.optional(),
    shadow: shadowSpec.optional(),
    goldenRequests: goldenRequests.optional(),
    traffic: trafficSpec.optional(),
    auth: authSpec.optional(),
    rateLimit: rateLimitSpec.optional(),
    requestLimits: requestLimitsSpec.optional(),
    service: serviceSpec.optional(),
    disruptionBudget: disruptionBudgetSpec.optional(),
    observability: observabilitySpec.optional(),
  }),
  [
    {
      rule: '!has(self.canary) || self.canary.model.version != self.model.version',
      message: 'canary.model.version must differ from model.version',
      path: ['canary', 'model', 'version'],
      holds: (s) => s.canary === undefined || s.canary.model.version !== s.model.version,
    },
    {
      rule: '!has(self.shadow) || self.shadow.model.version != self.model.version',
      message:
        'shadow.model.version must differ from model.version: a shadow of the served version would compare the model with itself',
      path: ['shadow', 'model', 'version'],
      holds: (s) => s.shadow === undefined || s.shadow.model.version !== s.model.version,
    },
    {
      rule: '!has(self.shadow) || !has(self.canary) || !has(self.canary.shadow)',
      message:
        'set at most one of shadow and canary.shadow: the shadow gate runs the candidate on the shadow track',
      path: ['canary', 'shadow'],
      holds: (s) => s.shadow === undefined || s.canary?.shadow === undefined,
    },
  ],
).describe('Desired state of a served model.');

export type ModelDeploymentSpec = z.output<typeof modelDeploymentSpec>;
export type ModelDeploymentSpecInput = z.input<typeof modelDeploymentSpec>;
export type GoldenRequest = z.output<typeof goldenRequest>;
export type CanarySpec = z.output<typeof canarySpec>;
export type ShadowSpec = z.output<typeof shadowSpec>;
export type AutoscalingSpec = z.output<typeof autoscalingSpec>;
export type TrafficSpec = z.output<typeof trafficSpec>;
export type AuthSpec = z.output<typeof authSpec>;
export type RuntimeSpec = z.output<typeof runtimeSpec>;
export type BatchingSpec = z.output<typeof batchingSpec>;
