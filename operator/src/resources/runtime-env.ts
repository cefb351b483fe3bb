import type { V1EnvVar, V1EnvVarSource } from '@kubernetes/client-node';
import { servedModelName, type ModelDeployment } from '../api/model-deployment.js';
import {
  batchingSpec,
  type AuthSpec,
  type GoldenRequest,
  type ModelDeploymentSpec,
} from '../api/model-deployment-spec.js';
import {
  API_KEYS_DIR,
  JWT_KEYS_DIR,
  SHADOW_TOKEN_DIR,
  MODEL_CACHE_DIR,
  PVC_MOUNT_ROOT,
  RUNTIME_GRPC_PORT,
  RUNTIME_PORT,
  SHUTDOWN_DELAY_MS,
  SHUTDOWN_MARGIN_MS,
  TERMINATION_GRACE_SECONDS,
} from './runtime-contract.js';
import { SHADOW_TOKEN_KEY, shadowTokenNeeded } from '../shadow/shadow-token.js';
import { serviceName } from './names.js';
import { servicePort } from './service.js';
import { observabilityEnv, observabilitySecretEnv } from './observability-env.js';
import type { Track, TrackModel } from './tracks.js';
import { parsePvcUri } from './volumes.js';
import { modelStorageEnv } from './model-storage.js';

/** What runtimeEnv needs of DeploymentOptions (deployment.ts extends this). */
export interface RuntimeEnvOptions {
  track: Track;
  model: TrackModel;
  goldenRequests?: GoldenRequest[];
}

type Source = Pick<ModelDeployment, 'metadata' | 'spec'>;
type Env = Record<string, string | undefined>;

/** spec.batching is optional as a whole; its defaults still apply when it is left out. */
const BATCHING_DEFAULTS = batchingSpec.parse({});

function modelEnv(md: Source, opts: RuntimeEnvOptions): Env {
  return {
    MODEL_URI: opts.model.uri,
    MODEL_NAME: servedModelName(md),
    MODEL_VERSION: opts.model.version,
    MODEL_SHA256: opts.model.sha256,
    MODEL_TRACK: opts.track,
    PORT: String(RUNTIME_PORT),
    GRPC_PORT: String(RUNTIME_GRPC_PORT),
    MODEL_CACHE_DIR,
    PVC_MOUNT_ROOT: parsePvcUri(opts.model.uri) ? PVC_MOUNT_ROOT : undefined,
  };
}

function batchingEnv(spec: ModelDeploymentSpec): Env {
  const batching = spec.batching ?? BATCHING_DEFAULTS;
  return {
    // A batch of one is how the runtime turns batching off: every request runs alone.
    BATCH_MAX_SIZE: String(batching.enabled ? batching.maxBatchSize : 1),
    BATCH_MAX_DELAY_MS: String(batching.maxDelayMs),
    BATCH_MAX_QUEUE: String(batching.maxQueue),
  };
}

function threadEnv(spec: ModelDeploymentSpec): Env {
  const threads = spec.runtime?.threads;
  return {
    INTRA_OP_THREADS: threads?.intraOp?.toString(),
    INTER_OP_THREADS: threads?.interOp?.toString(),
  };
}

function rateLimitEnv(spec: ModelDeploymentSpec): Env {
  return {
    RATE_LIMIT_RPS: spec.rateLimit?.requestsPerSecond.toString(),
    RATE_LIMIT_BURST: spec.rateLimit?.burst?.toString(),
  };
}

function requestLimitsEnv(spec: ModelDeploymentSpec): Env {
  const limits = spec.requestLimits;
  return {
    BODY_LIMIT_BYTES: limits?.maxBodyBytes?.toString(),
    REQUEST_MAX_ROWS: limits?.maxRows?.toString(),
    REQUEST_MAX_ELEMENTS: limits?.maxElements?.toString(),
  };
}

/** The runtime reads a JWKS or a PEM key depending on which variable names the file. */
function jwtEnv(jwt: AuthSpec['jwt']): Env {
  if (!jwt) return {};
  const file = `${JWT_KEYS_DIR}/${jwt.keysSecretRef.key}`;
  const isJwks = jwt.keysSecretRef.key.endsWith('.json');
  return {
    JWT_ISSUER: jwt.issuer,
    JWT_AUDIENCE: jwt.audiences?.join(','),
    JWT_ALGORITHMS: jwt.algorithms.join(','),
    JWT_JWKS_FILE: isJwks ? file : undefined,
    JWT_PUBLIC_KEY_FILE: isJwks ? undefined : file,
    // The runtime refuses tokens without exp by default; only the opt-out is passed.
    JWT_REQUIRE_EXP: jwt.requireExpiry ? undefined : 'false',
  };
}

function authEnv(spec: ModelDeploymentSpec): Env {
  const auth = spec.auth;
  const keyRef = auth?.apiKeySecretRef;
  return {
    API_KEYS_FILE: keyRef ? `${API_KEYS_DIR}/${keyRef.key}` : undefined,
    ...jwtEnv(auth?.jwt),
    AUTH_PROTECT_METRICS: auth?.protectMetrics ? 'true' : undefined,
  };
}

/**
 * The runtime wants every input shape spelled out; the API lets users leave it out and
 * documents [1, len(data)] as the default, so the operator fills it in here.
 */
function runtimeGoldenRequests(requests: GoldenRequest[]): unknown[] {
  return requests.map((r) => ({
    name: r.name,
    inputs: r.inputs.map((t) => ({
      name: t.name,
      shape: t.shape ?? [1, t.data.length],
      datatype: t.datatype,
      data: t.data,
    })),
    outputs: r.outputs.map((t) => ({ name: t.name, data: t.data })),
    tolerance: r.tolerance,
  }));
}

function goldenEnv(opts: RuntimeEnvOptions): Env {
  const requests = opts.goldenRequests ?? [];
  if (requests.length === 0) return {};
  return { GOLDEN_REQUESTS: JSON.stringify(runtimeGoldenRequests(requests)) };
}

/**
 * Stable pods mirror to the shadow track's Service while spec.shadow is set; the canary does
 * not, so the comparison is always against the answers users of the stable model got.
 */
function shadowEnv(md: Source, opts: RuntimeEnvOptions): Env {
  const shadow = md.spec.shadow;
  if (shadow === undefined || opts.track === 'canary') return {};
  // With auth on, stable pods send the shadow token with their copies and shadow pods accept it.
  const token = shadowTokenNeeded(md)
    ? { SHADOW_TOKEN_FILE: `${SHADOW_TOKEN_DIR}/${SHADOW_TOKEN_KEY}` }
    : {};
  if (opts.track === 'shadow') return token;
  const host = `${serviceName(md, 'shadow')}.${md.metadata.namespace ?? 'default'}.svc`;
  return {
    SHADOW_TARGET_URL: `http://${host}:${servicePort(md)}`,
    SHADOW_PERCENT: String(shadow.percent),
    SHADOW_TOLERANCE: String(shadow.tolerance),
    ...token,
  };
}

/** The runtime's shutdown timing, matched to the pod's terminationGracePeriodSeconds. */
function shutdownEnv(): Env {
  return {
    SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
    SHUTDOWN_GRACE_MS: String(TERMINATION_GRACE_SECONDS * 1000 - SHUTDOWN_MARGIN_MS),
  };
}

function toEnvVars(env: Env): V1EnvVar[] {
  return Object.entries(env).flatMap(([name, value]) =>
    value === undefined ? [] : [{ name, value }],
  );
}

/**
 * spec.runtime.env goes last and replaces an operator variable of the same name instead of
 * repeating it: the user wins (except over MODELDEPLOY_INSTANCE), and server-side apply
 * refuses duplicate names in `env` (a list keyed by name).
 */
function withUserEnv(operatorEnv: V1EnvVar[], spec: ModelDeploymentSpec): V1EnvVar[] {
  const user: V1EnvVar[] = (spec.runtime?.env ?? [])
    .filter((e) => e.name !== INSTANCE_ENV)
    .map((e) => ({
      name: e.name,
      ...(e.value !== undefined && { value: e.value }),
      ...(e.valueFrom !== undefined && { valueFrom: e.valueFrom as V1EnvVarSource }),
    }));
  const userNames = new Set(user.map((e) => e.name));
  return [...operatorEnv.filter((e) => !userNames.has(e.name)), ...dedupeByName(user)];
}

/** Keeps the last of repeated user variables, as the kubelet would. */
function dedupeByName(env: V1EnvVar[]): V1EnvVar[] {
  const byName = new Map(env.map((e) => [e.name, e]));
  return [...byName.values()];
}

/** The variable that names the ModelDeployment in the runtime's metrics. */
export const INSTANCE_ENV = 'MODELDEPLOY_INSTANCE';

/**
 * `<namespace>/<name>`: the runtime puts it on its request metrics as the `modeldeployment`
 * label, and canary analysis selects on it (operator/src/rollout/analysis-selector.ts).
 * spec.runtime.env cannot replace it: pods claiming another ModelDeployment's name would
 * be measured in that one's analysis.
 */
function instanceEnvVar(md: Source): V1EnvVar {
  return { name: INSTANCE_ENV, value: `${md.metadata.namespace ?? ''}/${md.metadata.name}` };
}

/** The runtime's environment contract (see runtime/src/config/env-schema.ts for the reading side). */
export function runtimeEnv(md: Source, opts: RuntimeEnvOptions): V1EnvVar[] {
  const operatorEnv = toEnvVars({
    ...modelEnv(md, opts),
    ...batchingEnv(md.spec),
    ...threadEnv(md.spec),
    ...rateLimitEnv(md.spec),
    ...requestLimitsEnv(md.spec),
    ...authEnv(md.spec),
    ...goldenEnv(opts),
    ...shadowEnv(md, opts),
    ...shutdownEnv(),
    ...observabilityEnv(md),
  });
  const secretEnv = observabilitySecretEnv(md);
  const storageEnv = modelStorageEnv(md.spec.model, opts.model); // model-storage.ts
  return withUserEnv([...operatorEnv, ...secretEnv, ...storageEnv, instanceEnvVar(md)], md.spec);
}
