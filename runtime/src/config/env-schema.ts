import { z } from 'zod';
import { redactionVariable } from '../observability/payload-log-config.js';

/** A whole number given as text, e.g. PORT=8080. */
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'expected true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

/** Comma-separated values; blanks between commas are dropped. */
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

/** OTEL_EXPORTER_OTLP_PROTOCOL's values the runtime's HTTP exporters speak. */
const otlpProtocol = z.enum(['http/protobuf', 'http/json'], {
  error: 'expected http/protobuf or http/json (the runtime exports OTLP over HTTP, not gRPC)',
});

/**
 * OpenTelemetry's `k1=v1,k2=v2` with URL-encoded values: OTEL_EXPORTER_OTLP_HEADERS (keys
 * lower-cased, as HTTP header names) and OTEL_RESOURCE_ATTRIBUTES (keys as given).
 */
const keyValuePairs = (lowerCaseKeys: boolean) =>
  z.string().transform((v, ctx) => {
    const pairs: Record<string, string> = {};
    for (const pair of v.split(',')) {
      if (pair.trim() === '') continue;
      const at = pair.indexOf('=');
      const key = pair.slice(0, at).trim();
      try {
        if (at < 1 || key === '') throw new Error('no key');
        pairs[lowerCaseKeys ? key.toLowerCase() : key] = decodeURIComponent(
          pair.slice(at + 1).trim(),
        );
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: 'expected key=value pairs separated by commas, values URL-encoded',
        });
        return z.NEVER;
      }
    }
    return pairs;
  });

const str = z.string().min(1);

/** A share between 0 and 1, e.g. 0.1. */
const ratio = z
  .string()
  .regex(/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/, 'expected a ratio between 0 and 1')
  .transform(Number);

/** A decimal number given as text, e.g. SHADOW_PERCENT=12.5 or SHADOW_TOLERANCE=1e-4. */
const decimal = (min: number, max = Number.MAX_VALUE) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?([eE][-+]?\d+)?$/, `expected a number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const JWT_ALGORITHMS = [
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
];

/**
 * Every variable the runtime reads, with its default; unknown ones are ignored (the
 * environment is shared). The names are the contract with the operator
 * (operator/src/resources/runtime-env.ts); every variable can also be given as a flag
 * (cli-flags.ts). Defaults that depend on another variable (MODEL_NAME from MODEL_URI,
 * RATE_LIMIT_BURST from RATE_LIMIT_RPS) are applied in index.ts.
 */
export const envSchema = z.object({
  MODEL_URI: z
    .string({ error: 'required: where the model is (path, file://, pvc://, http(s)://)' })
    .min(1),
  MODEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  MODEL_VERSION: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits, ".", "_", "+" and "-" only')
    .default('1'),
  MODEL_SHA256: z
    .string()
    .regex(/^(sha256:)?[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
    .transform((v) => v.replace(/^sha256:/, '').toLowerCase())
    .optional(),
  MODEL_TRACK: z.enum(['stable', 'canary', 'shadow']).default('stable'),
  /**
   * `<namespace>/<name>` of the ModelDeployment this pod serves, set by the operator and
   * exported as the `modeldeployment` label, which canary analysis selects on. Unset (a
   * runtime started by hand): no such label.
   */
  MODELDEPLOY_INSTANCE: z
    .string()
    .regex(
      /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      'expected <namespace>/<name> of the ModelDeployment',
    )
    .optional(),
  PORT: int(0, 65535).default(8080),
  HOST: str.default('0.0.0.0'),
  /** The Open Inference Protocol V2 over gRPC (inference.GRPCInferenceService), on HOST. */
  GRPC_PORT: int(0, 65535).default(8081),
  GRPC_ENABLED: bool.default(true),
  BATCH_MAX_SIZE: int(1, 65536).default(32),
  BATCH_MAX_DELAY_MS: int(0, 60_000).default(2),
  BATCH_MAX_QUEUE: int(1, 1_000_000).default(256),
  /**
   * eager: a batch leaves as soon as no other request is being received (waiting at most
   * BATCH_MAX_DELAY_MS); delay: it waits BATCH_MAX_DELAY_MS unless full (Triton's
   * max_queue_delay).
   */
  BATCH_DISPATCH: z.enum(['eager', 'delay']).default('eager'),
  INTRA_OP_THREADS: int(0, 1024).optional(),
  INTER_OP_THREADS: int(0, 1024).optional(),
  GRAPH_OPTIMIZATION: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
  /** onnxruntime's thread pools busy-wait for work between runs when true. */
  ORT_THREAD_SPINNING: bool.default(false),
  /**
   * worker: the session runs in a worker thread, so request parsing and answering overlap
   * inference; main: on the JavaScript thread that serves HTTP (onnxruntime-node runs
   * session.run synchronously on its calling thread); auto: main when a full batch takes
   * under 1 ms, else worker (model/session-placement.ts).
   */
  SESSION_THREAD: z.enum(['auto', 'worker', 'main']).default('auto'),
  REQUEST_TIMEOUT_MS: int(1, 3_600_000).default(10_000),
  BODY_LIMIT_BYTES: int(1024, 2 ** 31 - 1).default(8 * 1024 * 1024),
  /** Rows of any input in one request; default 8 × BATCH_MAX_SIZE, at least 1024 (tensor/request-budget.ts). */
  REQUEST_MAX_ROWS: int(1, 2 ** 31 - 1).optional(),
  /** Elements of all inputs of one request; default REQUEST_MAX_ROWS rows of every input. */
  REQUEST_MAX_ELEMENTS: int(1, 2 ** 31 - 1).optional(),
  /**
   * After SIGTERM: not ready at once, but still accepting and serving for this long, while
   * Kubernetes withdraws the pod's endpoints (kube-proxy and clients keep opening connections
   * to it for a few seconds); then the listener closes and in-flight work drains.
   */
  SHUTDOWN_DELAY_MS: int(0, 3_600_000).default(5_000),
  /**
   * From SIGTERM (delay included) to the hard deadline, when the process exits 1. The
   * defaults (5 s + 20 s of drain) fit in Kubernetes' default 30 s termination grace period.
   */
  SHUTDOWN_GRACE_MS: int(0, 3_600_000).default(25_000),
  MODEL_CACHE_DIR: str.default('/tmp/modeldeploy-models'),
  PVC_MOUNT_ROOT: str.default('/mnt/models'),
  MODEL_DOWNLOAD_TIMEOUT_MS: int(1, 86_400_000).default(300_000),
  MODEL_DOWNLOAD_RETRIES: int(0, 100).default(4),
  MODEL_MAX_BYTES: int(1).default(2 * 1024 ** 3),
  // --- model storage (runtime/src/model/storage/storage-settings.ts) ---
  /** The cache volume's sizeLimit; a model larger than this is refused before its download. */
  MODEL_CACHE_SIZE_LIMIT_BYTES: int(1).optional(),
  /** PEM bundle trusted for https:// and a custom S3 endpoint, besides the public roots. */
  MODEL_CA_BUNDLE_FILE: str.optional(),
  MODEL_HTTP_BEARER_TOKEN_FILE: str.optional(),
  MODEL_HTTP_USERNAME_FILE: str.optional(),
  MODEL_HTTP_PASSWORD_FILE: str.optional(),
  MODEL_S3_ENDPOINT: z.url({ error: 'expected a URL such as http://minio:9000' }).optional(),
  MODEL_S3_REGION: str.optional(),
  MODEL_S3_FORCE_PATH_STYLE: bool.default(false),
  /** gs://: a service account key (JSON) from the credentials Secret; unset: ambient credentials. */
  MODEL_GCS_CREDENTIALS_FILE: str.optional(),
  /** gs://: the JSON API endpoint of an emulator or a private endpoint, e.g. http://gcs:4443. */
  MODEL_GCS_ENDPOINT: z.url({ error: 'expected a URL such as http://fake-gcs:4443' }).optional(),
  // --- end of model storage ---
  API_KEYS_FILE: str.optional(),
  API_KEYS: list.default([]),
  JWT_ISSUER: str.optional(),
  /** Comma-separated: a token naming any of them in aud is accepted. */
  JWT_AUDIENCE: list.pipe(z.array(z.string()).min(1, 'name at least one audience')).optional(),
  JWT_ALGORITHMS: list
    .pipe(
      z.array(z.enum(JWT_ALGORITHMS, { error: `allowed: ${JWT_ALGORITHMS.join(', ')}` })).min(1),
    )
    .default(['RS256', 'ES256']),
  JWT_JWKS_FILE: str.optional(),
  JWT_PUBLIC_KEY_FILE: str.optional(),
  JWT_REQUIRED_SCOPE: str.optional(),
  /** Refuse tokens without an exp claim: a leaked token that never expires is valid forever. */
  JWT_REQUIRE_EXP: bool.default(true),
  AUTH_PROTECT_HEALTH: bool.default(false),
  AUTH_PROTECT_METRICS: bool.default(false),
  RATE_LIMIT_RPS: int(1).optional(),
  RATE_LIMIT_BURST: int(1).optional(),
  /** JSON; parsed and checked in index.ts so its errors can say what is wrong inside it. */
  GOLDEN_REQUESTS: z.string().optional(),
  TERMINATION_MESSAGE_PATH: str.default('/dev/termination-log'),
  // --- shadow traffic (runtime/src/shadow/): set on stable pods while spec.shadow is set ---
  /** Base URL of the shadow track's Service; unset: nothing is mirrored. */
  SHADOW_TARGET_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'expected an http(s) URL with no query')
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
  /** Share of answered inference requests copied to the shadow, 0–100. */
  SHADOW_PERCENT: decimal(0, 100).default(10),
  /** Largest absolute difference between the two answers' elements that still agrees. */
  SHADOW_TOLERANCE: decimal(0).default(1e-4),
  /** Copies waiting for the shadow at once; beyond it a copy is dropped and counted. */
  SHADOW_MAX_INFLIGHT: int(1, 100_000).default(64),
  /** A copy the shadow has not answered within this long counts as an error. */
  SHADOW_TIMEOUT_MS: int(1, 600_000).default(1_000),
  /**
   * File holding the deployment's shadow token (the operator's <name>-shadow-token Secret).
   * Stable pods send it with each copy; a shadow pod (MODEL_TRACK=shadow) with auth on accepts
   * a copy that carries it. Without it a JWT-only shadow refuses every copy.
   */
  SHADOW_TOKEN_FILE: str.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ORT_TELEMETRY: z.enum(['on', 'off']).default('off'),
  // --- observability (observability/): OpenTelemetry's standard variables, then payload logging.
  /** OTLP/HTTP base URL; traces go to <endpoint>/v1/traces. Unset (and no traces endpoint): tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'expected a URL such as http://collector:4318' })
    .optional(),
  /** The full traces URL, used as given; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .url({ protocol: /^https?$/, error: 'expected a URL such as http://collector:4318/v1/traces' })
    .optional(),
  /** key=value pairs, comma-separated, values URL-encoded (e.g. authorization=Bearer%20x). */
  OTEL_EXPORTER_OTLP_HEADERS: keyValuePairs(true).optional(),
  /** OTLP over HTTP as protobuf (OpenTelemetry's default) or JSON; gRPC is not offered. */
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default('http/protobuf'),
  /** The same for traces only; wins over OTEL_EXPORTER_OTLP_PROTOCOL. */
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_TRACES_SAMPLER: z
    .enum([
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ])
    .default('parentbased_always_on'),
  /** The ratio of the traceidratio samplers, 0 to 1. */
  OTEL_TRACES_SAMPLER_ARG: ratio.optional(),
  OTEL_SERVICE_NAME: str.default('modeldeploy-runtime'),
  /** Resource attributes of every span, key=value pairs (e.g. deployment.environment.name=prod). */
  OTEL_RESOURCE_ATTRIBUTES: keyValuePairs(false).optional(),
  /** true: no tracing whatever the endpoint says (OpenTelemetry's general off switch). */
  OTEL_SDK_DISABLED: bool.default(false),
  /** Share of successful inference requests whose payload is logged, 0 to 1. */
  PAYLOAD_LOG_SAMPLE_RATIO: ratio.default(0),
  /** Log every inference request answered 4xx/5xx, whatever the ratio. */
  PAYLOAD_LOG_FAILURES: bool.default(false),
  /** JSON list of {"input": "<name>", "mode": "drop" | "hash"}: inputs kept out of records. */
  PAYLOAD_LOG_REDACT: redactionVariable.optional(),
  PAYLOAD_LOG_MAX_RECORD_BYTES: int(1024, 64 * 1024 * 1024).default(16_384),
  // --- end observability
});

export type RuntimeEnv = z.output<typeof envSchema>;
