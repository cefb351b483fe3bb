import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { parseFlags, variableToFlag } from './config/cli-flags.js';
import { goldenRequestsSchema, type GoldenRequest } from './config/golden-requests.js';

/**
 * Runtime configuration. The environment variable names are the contract with the
 * operator; every variable can also be given as a flag (see cli-flags.ts).
 */
export interface RuntimeConfig {
  readonly model: {
    readonly uri: string;
    readonly name: string;
    readonly version: string;
    readonly sha256: string | undefined;
    readonly track: 'stable' | 'canary';
    readonly cacheDir: string;
    readonly pvcMountRoot: string;
    readonly downloadTimeoutMs: number;
    readonly downloadRetries: number;
    readonly maxBytes: number;
  };
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    readonly requestTimeoutMs: number;
    readonly shutdownGraceMs: number;
  };
  readonly batching: {
    readonly maxSize: number;
    readonly maxDelayMs: number;
    readonly maxQueue: number;
    /**
     * eager: a batch leaves as soon as no other request is being received (waiting at most
     * maxDelayMs); delay: it waits maxDelayMs unless full (Triton's max_queue_delay).
     */
    readonly dispatch: 'eager' | 'delay';
  };
  readonly session: {
    readonly intraOpThreads: number | undefined;
    readonly interOpThreads: number | undefined;
    readonly graphOptimization: 'disabled' | 'basic' | 'extended' | 'all';
    /** onnxruntime's thread pools busy-wait for work between runs when true. */
    readonly threadSpinning: boolean;
    /**
     * worker: the session runs in a worker thread, so request parsing and answering overlap
     * inference; main: on the JavaScript thread that serves HTTP (onnxruntime-node runs
     * session.run synchronously on its calling thread); auto: main when a full batch takes
     * under 1 ms, else worker (model/session-placement.ts).
     */
    readonly thread: 'auto' | 'worker' | 'main';
  };
  readonly auth: {
    readonly apiKeys: readonly string[];
    readonly jwt: JwtConfig | undefined;
    readonly protectHealth: boolean;
    readonly protectMetrics: boolean;
  };
  readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number } | undefined;
  readonly goldenRequests: readonly GoldenRequest[];
  readonly terminationMessagePath: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly ortTelemetry: boolean;
}

export interface JwtConfig {
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly algorithms: readonly string[];
  readonly jwksFile: string | undefined;
  readonly publicKeyFile: string | undefined;
  readonly requiredScope: string | undefined;
}

export class ConfigError extends Error {}

const int = (min: number, max = Number.MAX_SAFE_INTEGER): z.ZodType<number | undefined> =>
  z
    .string()
    .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .optional();

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { error: 'expected true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v))
  .optional();

const list = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .optional();

const str = z.string().min(1).optional();

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

/** Every variable the runtime reads; unknown ones are ignored (the environment is shared). */
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
    .optional(),
  MODEL_SHA256: z
    .string()
    .regex(/^(sha256:)?[0-9a-fA-F]{64}$/, 'expected 64 hex digits')
    .transform((v) => v.replace(/^sha256:/, '').toLowerCase())
    .optional(),
  MODEL_TRACK: z.enum(['stable', 'canary']).optional(),
  PORT: int(0, 65535),
  HOST: str,
  BATCH_MAX_SIZE: int(1, 65536),
  BATCH_MAX_DELAY_MS: int(0, 60_000),
  BATCH_MAX_QUEUE: int(1, 1_000_000),
  BATCH_DISPATCH: z.enum(['eager', 'delay']).optional(),
  INTRA_OP_THREADS: int(0, 1024),
  INTER_OP_THREADS: int(0, 1024),
  GRAPH_OPTIMIZATION: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  ORT_THREAD_SPINNING: bool,
  SESSION_THREAD: z.enum(['auto', 'worker', 'main']).optional(),
  REQUEST_TIMEOUT_MS: int(1, 3_600_000),
  BODY_LIMIT_BYTES: int(1024, 2 ** 31 - 1),
  SHUTDOWN_GRACE_MS: int(0, 3_600_000),
  MODEL_CACHE_DIR: str,
  PVC_MOUNT_ROOT: str,
  MODEL_DOWNLOAD_TIMEOUT_MS: int(1, 86_400_000),
  MODEL_DOWNLOAD_RETRIES: int(0, 100),
  MODEL_MAX_BYTES: int(1),
  API_KEYS_FILE: str,
  API_KEYS: list,
  JWT_ISSUER: str,
  JWT_AUDIENCE: str,
  JWT_ALGORITHMS: list.pipe(
    z
      .array(z.enum(JWT_ALGORITHMS, { error: `allowed: ${JWT_ALGORITHMS.join(', ')}` }))
      .min(1)
      .optional(),
  ),
  JWT_JWKS_FILE: str,
  JWT_PUBLIC_KEY_FILE: str,
  JWT_REQUIRED_SCOPE: str,
  AUTH_PROTECT_HEALTH: bool,
  AUTH_PROTECT_METRICS: bool,
  RATE_LIMIT_RPS: int(1),
  RATE_LIMIT_BURST: int(1),
  GOLDEN_REQUESTS: z.string().optional(),
  TERMINATION_MESSAGE_PATH: str,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  ORT_TELEMETRY: z.enum(['on', 'off']).optional(),
});

type Env = z.infer<typeof envSchema>;

export const CONFIG_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(envSchema.shape),
  'HELP',
]);

/** Builds the configuration from the environment and flags; throws ConfigError naming the variable. */
export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
): RuntimeConfig {
  const merged = { ...nonEmpty(env), ...parseFlags(argv, CONFIG_VARIABLES) };
  const result = envSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '');
      const got = merged[variable];
      const shown =
        got === undefined ? 'unset' : `'${got.length > 80 ? `${got.slice(0, 80)}…` : got}'`;
      return `${variable} (${variableToFlag(variable)}): ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return toConfig(result.data);
}

function nonEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function toConfig(e: Env): RuntimeConfig {
  return {
    model: {
      uri: e.MODEL_URI,
      name: e.MODEL_NAME ?? defaultModelName(e.MODEL_URI),
      version: e.MODEL_VERSION ?? '1',
      sha256: e.MODEL_SHA256,
      track: e.MODEL_TRACK ?? 'stable',
      cacheDir: e.MODEL_CACHE_DIR ?? '/tmp/modeldeploy-models',
      pvcMountRoot: e.PVC_MOUNT_ROOT ?? '/mnt/models',
      downloadTimeoutMs: e.MODEL_DOWNLOAD_TIMEOUT_MS ?? 300_000,
      downloadRetries: e.MODEL_DOWNLOAD_RETRIES ?? 4,
      maxBytes: e.MODEL_MAX_BYTES ?? 2 * 1024 ** 3,
    },
    server: {
      host: e.HOST ?? '0.0.0.0',
      port: e.PORT ?? 8080,
      bodyLimitBytes: e.BODY_LIMIT_BYTES ?? 8 * 1024 * 1024,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS ?? 10_000,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 25_000,
    },
    batching: {
      maxSize: e.BATCH_MAX_SIZE ?? 32,
      maxDelayMs: e.BATCH_MAX_DELAY_MS ?? 2,
      maxQueue: e.BATCH_MAX_QUEUE ?? 256,
      dispatch: e.BATCH_DISPATCH ?? 'eager',
    },
    session: {
      intraOpThreads: e.INTRA_OP_THREADS,
      interOpThreads: e.INTER_OP_THREADS,
      graphOptimization: e.GRAPH_OPTIMIZATION ?? 'all',
      threadSpinning: e.ORT_THREAD_SPINNING ?? false,
      thread: e.SESSION_THREAD ?? 'auto',
    },
    auth: {
      apiKeys: apiKeys(e),
      jwt: jwtConfig(e),
      protectHealth: e.AUTH_PROTECT_HEALTH ?? false,
      protectMetrics: e.AUTH_PROTECT_METRICS ?? false,
    },
    rateLimit:
      e.RATE_LIMIT_RPS === undefined
        ? undefined
        : { requestsPerSecond: e.RATE_LIMIT_RPS, burst: e.RATE_LIMIT_BURST ?? e.RATE_LIMIT_RPS },
    goldenRequests: goldenRequests(e.GOLDEN_REQUESTS),
    terminationMessagePath: e.TERMINATION_MESSAGE_PATH ?? '/dev/termination-log',
    logLevel: e.LOG_LEVEL ?? 'info',
    ortTelemetry: e.ORT_TELEMETRY === 'on',
  };
}

export function defaultModelName(uri: string): string {
  const base = basename(uri.split(/[?#]/)[0] ?? uri).replace(/\.onnx$/i, '');
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.length > 0 ? cleaned : 'model';
}

function apiKeys(e: Env): string[] {
  const keys = [...(e.API_KEYS ?? [])];
  if (e.API_KEYS_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(e.API_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `API_KEYS_FILE (--api-keys-file): cannot read ${e.API_KEYS_FILE}: ${(err as Error).message}`,
      );
    }
    for (const line of text.split(/\r?\n/)) {
      const key = line.trim();
      if (key.length > 0 && !key.startsWith('#')) keys.push(key);
    }
  }
  return keys;
}

function jwtConfig(e: Env): JwtConfig | undefined {
  const configured = e.JWT_JWKS_FILE ?? e.JWT_PUBLIC_KEY_FILE;
  if (configured === undefined) {
    if (e.JWT_ISSUER !== undefined || e.JWT_AUDIENCE !== undefined) {
      throw new ConfigError(
        'JWT_JWKS_FILE (--jwt-jwks-file): JWT_ISSUER/JWT_AUDIENCE are set but no key is; set JWT_JWKS_FILE or JWT_PUBLIC_KEY_FILE',
      );
    }
    return undefined;
  }
  return {
    issuer: e.JWT_ISSUER,
    audience: e.JWT_AUDIENCE,
    algorithms: e.JWT_ALGORITHMS ?? ['RS256', 'ES256'],
    jwksFile: e.JWT_JWKS_FILE,
    publicKeyFile: e.JWT_PUBLIC_KEY_FILE,
    requiredScope: e.JWT_REQUIRED_SCOPE,
  };
}

function goldenRequests(text: string | undefined): GoldenRequest[] {
  if (text === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `GOLDEN_REQUESTS (--golden-requests): not valid JSON: ${(err as Error).message}`,
    );
  }
  const result = goldenRequestsSchema.safeParse(json);
  if (!result.success) {
    throw new ConfigError(
      `GOLDEN_REQUESTS (--golden-requests): ${z.prettifyError(result.error).replace(/\n/g, '; ')}`,
    );
  }
  return result.data;
}
