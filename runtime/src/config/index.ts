import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { parseFlags, variableToFlag } from './cli-flags.js';
import { envSchema, type RuntimeEnv } from './env-schema.js';
import { goldenRequestsSchema, type GoldenRequest } from './golden-requests.js';
import { payloadLogConfig } from '../observability/payload-log-config.js';
import { tracingConfig } from '../observability/tracing-config.js';
import { storageSettings } from '../model/storage/storage-settings.js';

/**
 * Runtime configuration: the environment schema (defaults included) arranged by concern.
 * The type is derived from the schema, so a variable is written once plus one line here.
 */
const runtimeConfigSchema = envSchema.transform(toConfig);

export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;
export type JwtConfig = NonNullable<RuntimeConfig['auth']['jwt']>;

export class ConfigError extends Error {}

export const CONFIG_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.keys(envSchema.shape),
  'HELP',
]);

/** Variables whose values an error message must not repeat (tokens, API keys). */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['API_KEYS', 'OTEL_EXPORTER_OTLP_HEADERS']);

/** Builds the configuration from the environment and flags; throws ConfigError naming the variable. */
export function parseConfig(
  env: Readonly<Record<string, string | undefined>>,
  argv: readonly string[] = [],
): RuntimeConfig {
  const merged = { ...nonEmpty(env), ...parseFlags(argv, CONFIG_VARIABLES) };
  const result = runtimeConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '');
      const got = merged[variable];
      const shown =
        got === undefined
          ? 'unset'
          : SECRET_VARIABLES.has(variable)
            ? 'a value not shown: it may hold credentials'
            : `'${got.length > 80 ? `${got.slice(0, 80)}…` : got}'`;
      return `${variable} (${variableToFlag(variable)}): ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

function nonEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

/** GRPC_PORT unless GRPC_ENABLED=false; two listeners cannot share one port. */
function grpcPort(e: RuntimeEnv): number | undefined {
  if (!e.GRPC_ENABLED) return undefined;
  if (e.GRPC_PORT !== 0 && e.GRPC_PORT === e.PORT) {
    throw new ConfigError(
      `GRPC_PORT (--grpc-port) and PORT (--port) are both ${e.PORT}: give gRPC another port or set GRPC_ENABLED=false`,
    );
  }
  return e.GRPC_PORT;
}

/** Throws ConfigError for what the schema cannot see: files, JSON, settings that need each other. */
function toConfig(e: RuntimeEnv) {
  return {
    model: {
      uri: e.MODEL_URI,
      name: e.MODEL_NAME ?? defaultModelName(e.MODEL_URI),
      version: e.MODEL_VERSION,
      sha256: e.MODEL_SHA256,
      track: e.MODEL_TRACK,
      instance: e.MODELDEPLOY_INSTANCE,
      cacheDir: e.MODEL_CACHE_DIR,
      pvcMountRoot: e.PVC_MOUNT_ROOT,
      downloadTimeoutMs: e.MODEL_DOWNLOAD_TIMEOUT_MS,
      downloadRetries: e.MODEL_DOWNLOAD_RETRIES,
      maxBytes: e.MODEL_MAX_BYTES,
      storage: storageSettings(e),
    },
    server: {
      host: e.HOST,
      port: e.PORT,
      grpcPort: grpcPort(e),
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      requestMaxRows: e.REQUEST_MAX_ROWS,
      requestMaxElements: e.REQUEST_MAX_ELEMENTS,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      shutdownDelayMs: shutdownDelay(e),
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    batching: {
      maxSize: e.BATCH_MAX_SIZE,
      maxDelayMs: e.BATCH_MAX_DELAY_MS,
      maxQueue: e.BATCH_MAX_QUEUE,
      dispatch: e.BATCH_DISPATCH,
    },
    session: {
      intraOpThreads: e.INTRA_OP_THREADS,
      interOpThreads: e.INTER_OP_THREADS,
      graphOptimization: e.GRAPH_OPTIMIZATION,
      threadSpinning: e.ORT_THREAD_SPINNING,
      thread: e.SESSION_THREAD,
    },
    auth: {
      apiKeys: apiKeys(e),
      // Only the shadow track accepts copies by the token; stable and canary never do.
      shadowToken: e.MODEL_TRACK === 'shadow' ? shadowToken(e) : undefined,
      jwt: jwtConfig(e),
      protectHealth: e.AUTH_PROTECT_HEALTH,
      protectMetrics: e.AUTH_PROTECT_METRICS,
    },
    rateLimit:
      e.RATE_LIMIT_RPS === undefined
        ? undefined
        : { requestsPerSecond: e.RATE_LIMIT_RPS, burst: e.RATE_LIMIT_BURST ?? e.RATE_LIMIT_RPS },
    goldenRequests: goldenRequests(e.GOLDEN_REQUESTS),
    shadow: shadowSettings(e),
    terminationMessagePath: e.TERMINATION_MESSAGE_PATH,
    logLevel: e.LOG_LEVEL,
    ortTelemetry: e.ORT_TELEMETRY === 'on',
    tracing: tracingConfig(e),
    payloadLog: payloadLogConfig(e),
  } as const;
}

/** The delay must leave time to drain before the hard deadline, or every shutdown would exit 1. */
function shutdownDelay(e: RuntimeEnv): number {
  if (e.SHUTDOWN_DELAY_MS >= e.SHUTDOWN_GRACE_MS && e.SHUTDOWN_DELAY_MS > 0) {
    throw new ConfigError(
      `SHUTDOWN_DELAY_MS (--shutdown-delay-ms): ${e.SHUTDOWN_DELAY_MS} leaves no time to drain before SHUTDOWN_GRACE_MS=${e.SHUTDOWN_GRACE_MS}; make the delay shorter than the grace`,
    );
  }
  return e.SHUTDOWN_DELAY_MS;
}

/** The mirror's settings, or undefined when no shadow is configured. */
function shadowSettings(e: RuntimeEnv) {
  if (e.SHADOW_TARGET_URL === undefined) return undefined;
  return {
    targetUrl: e.SHADOW_TARGET_URL,
    percent: e.SHADOW_PERCENT,
    tolerance: e.SHADOW_TOLERANCE,
    maxInflight: e.SHADOW_MAX_INFLIGHT,
    timeoutMs: e.SHADOW_TIMEOUT_MS,
    token: shadowToken(e),
  } as const;
}

/** The shadow token from SHADOW_TOKEN_FILE (first line, trimmed); undefined when unset. */
function shadowToken(e: RuntimeEnv): string | undefined {
  if (e.SHADOW_TOKEN_FILE === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(e.SHADOW_TOKEN_FILE, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `SHADOW_TOKEN_FILE: cannot read ${e.SHADOW_TOKEN_FILE}: ${(err as Error).message}`,
    );
  }
  const token = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (token.length < 16) {
    throw new ConfigError(
      `SHADOW_TOKEN_FILE: ${e.SHADOW_TOKEN_FILE} holds ${token.length === 0 ? 'no token' : 'a token shorter than 16 characters'}; mount the operator's <name>-shadow-token Secret`,
    );
  }
  return token;
}

function defaultModelName(uri: string): string {
  const base = basename(uri.split(/[?#]/)[0] ?? uri).replace(/\.onnx$/i, '');
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.length > 0 ? cleaned : 'model';
}

function apiKeys(e: RuntimeEnv): readonly string[] {
  const keys = [...e.API_KEYS];
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

// The JWT settings, or undefined when no key is configured; its type is JwtConfig.
function jwtConfig(e: RuntimeEnv) {
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
    algorithms: e.JWT_ALGORITHMS,
    jwksFile: e.JWT_JWKS_FILE,
    publicKeyFile: e.JWT_PUBLIC_KEY_FILE,
    requiredScope: e.JWT_REQUIRED_SCOPE,
    requireExpiry: e.JWT_REQUIRE_EXP,
  } as const;
}

function goldenRequests(text: string | undefined): readonly GoldenRequest[] {
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
