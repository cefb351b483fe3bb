import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchObserver, DropReason } from './batching/dynamic-batcher.js';

/** Fine-grained from 0.5 ms to 10 s: the request latency the HPA scales on. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05,
  0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10,
];

/**
 * The answers canary analysis counts as errors by default (the operator's
 * DEFAULT_ERROR_STATUS_CODES: 5xx and 400), as concrete codes the runtime answers.
 */
export const ERROR_CODES_COUNTED_FROM_ZERO = ['400', '500'] as const;

const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

export interface MetricLabels {
  readonly model: string;
  readonly version: string;
  readonly track: string;
  /** `<namespace>/<name>` of the ModelDeployment (MODELDEPLOY_INSTANCE); absent when run by hand. */
  readonly instance?: string | undefined;
}

/**
 * Labels on every series. `modeldeployment` lets canary analysis tell apart two namespaces
 * serving the same model name and version; it is the runtime's own label because a scraped
 * `namespace` label would be renamed `exported_namespace` (honor_labels: false).
 */
function defaultLabels(labels: MetricLabels): Record<string, string> {
  return {
    model: labels.model,
    version: labels.version,
    track: labels.track,
    ...(labels.instance !== undefined ? { modeldeployment: labels.instance } : {}),
  };
}

/** Which listener answered: the REST port or the Open Inference Protocol V2 gRPC port. */
export type ServingProtocol = 'http' | 'grpc';

/** Labels of the request series; queries that sum over `protocol` see every answer. */
type RequestLabel = 'route' | 'code' | 'protocol';

export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly requests: Counter<RequestLabel>;
  readonly requestDuration: Histogram<RequestLabel>;
  readonly inflight: Gauge;
  readonly batchObserver: BatchObserver;
  setModelInfo(sha256: string): void;
  /**
   * Creates the route's error series at 0. Prometheus' increase() needs two samples of a
   * series, so one that first appears at 1 reads 0 over the window: a canary's first errors
   * would be invisible to its analysis until a later scrape.
   */
  countErrorsFromZero(route: string, protocol: ServingProtocol): void;
}

/** Every runtime metric in its own registry, labelled with model, version, track (and ModelDeployment). */
export function createMetrics(labels: MetricLabels): RuntimeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels(labels));
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'modeldeploy_requests_total',
    help: 'Requests answered, by route pattern (gRPC: method path), HTTP(-equivalent) status code and protocol',
    labelNames: ['route', 'code', 'protocol'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'modeldeploy_request_duration_seconds',
    help: 'Time from request received to response sent, by route pattern, status code and protocol',
    labelNames: ['route', 'code', 'protocol'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const queueDuration = new Histogram({
    name: 'modeldeploy_queue_duration_seconds',
    help: 'Time a request waited in the batching queue before its batch ran',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inferenceDuration = new Histogram({
    name: 'modeldeploy_inference_duration_seconds',
    help: 'Time of one onnxruntime session run (one batch)',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const batchSize = new Histogram({
    name: 'modeldeploy_batch_size',
    help: 'Rows per session run',
    buckets: BATCH_SIZE_BUCKETS,
    registers,
  });
  const inflight = new Gauge({
    name: 'modeldeploy_inflight_requests',
    help: 'Inference requests received and not yet answered',
    registers,
  });
  const dropped = new Counter({
    name: 'modeldeploy_requests_dropped_total',
    help: 'Inference requests not computed because they timed out (504) or their client hung up first',
    labelNames: ['reason'] as const,
    registers,
  });
  const queueDepth = new Gauge({
    name: 'modeldeploy_queue_depth',
    help: 'Requests waiting in the batching queue',
    registers,
  });
  const isolationRuns = new Counter({
    name: 'modeldeploy_batch_isolation_runs_total',
    help: 'Session runs made to find which requests of a failed batch fail on their own',
    registers,
  });
  const isolatedFailures = new Counter({
    name: 'modeldeploy_batch_isolated_failures_total',
    help: 'Requests of a failed batch that also failed on their own (the others were answered)',
    registers,
  });
  const modelInfo = new Gauge({
    name: 'modeldeploy_model_info',
    help: 'The served model; always 1',
    labelNames: ['model', 'version', 'sha256'] as const,
    registers,
  });
  return {
    registry,
    requests,
    requestDuration,
    inflight,
    countErrorsFromZero: (route, protocol) => {
      for (const code of ERROR_CODES_COUNTED_FROM_ZERO) requests.inc({ route, code, protocol }, 0);
    },
    batchObserver: {
      queueDepth: (depth) => queueDepth.set(depth),
      queued: (seconds) => queueDuration.observe(seconds),
      dropped: (reason: DropReason) => dropped.inc({ reason }),
      inference: (seconds, rows) => {
        inferenceDuration.observe(seconds);
        batchSize.observe(rows);
      },
      isolationRun: () => isolationRuns.inc(),
      isolatedFailure: () => isolatedFailures.inc(),
    },
    setModelInfo: (sha256) =>
      modelInfo.set({ model: labels.model, version: labels.version, sha256 }, 1),
  };
}
