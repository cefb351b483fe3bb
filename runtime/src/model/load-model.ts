import { stat } from 'node:fs/promises';
import type { GoldenRequest } from '../config/golden-requests.js';
import { checkDigest, sha256File } from './digest.js';
import { resolveModelUri, type ModelSource as UriSource } from './model-uri.js';
import { fetchRemoteModel } from './storage/fetch-remote.js';
import { openRemote } from './storage/open-remote.js';
import { sleep } from './storage/retry.js';
import type { StorageSettings } from './storage/storage-settings.js';
import type { InferenceModel, SessionConfig, SessionSettings } from './session.js';
import { openPlacedModel, type SessionThread } from './session-placement.js';
import { runGoldenRequests } from './golden.js';
import { warmUp } from './warm-up.js';

/** A model that is loaded, verified, warmed up and checked: ready to serve. */
export interface LoadedModel extends InferenceModel {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly path: string;
  /** Where the session runs (SESSION_THREAD, or what `auto` chose). */
  readonly thread: SessionThread;
  /** The full-batch time `auto` measured to choose the thread. */
  readonly fullBatchMs?: number;
}

/** Where the model comes from and how it is checked: the MODEL_* variables. */
export interface ModelSource {
  readonly uri: string;
  readonly name: string;
  readonly version: string;
  readonly sha256: string | undefined;
  readonly cacheDir: string;
  readonly pvcMountRoot: string;
  readonly downloadTimeoutMs: number;
  readonly downloadRetries: number;
  readonly maxBytes: number;
  readonly storage: StorageSettings;
}

/** What loading reads from the runtime configuration; a RuntimeConfig is one. */
export interface LoadConfig {
  readonly model: ModelSource;
  readonly session: SessionConfig;
  /** Warm-up and SESSION_THREAD=auto run a batch of this size. */
  readonly batching: { readonly maxSize: number };
  readonly goldenRequests: readonly GoldenRequest[];
  readonly ortTelemetry: boolean;
  /** onnxruntime logs at warning level only when the runtime logs at debug or trace. */
  readonly logLevel: string;
}

export interface LoadProgress {
  (
    step: 'retry' | 'download' | 'fetched' | 'session' | 'warmed' | 'golden',
    detail: Record<string, unknown>,
  ): void;
}

/**
 * MODEL_URI → a local file (download with timeout, size limit and retries; or a path,
 * file:// or pvc://) → sha256 check → session → warm-up → golden requests.
 * Any failure throws with a message that says what to fix; the caller must not serve.
 */
export async function loadModel(
  config: LoadConfig,
  progress: LoadProgress = () => {},
): Promise<LoadedModel> {
  const { path, sha256 } = await fetchModel(config, progress);
  const settings: SessionSettings = {
    session: config.session,
    ortTelemetry: config.ortTelemetry,
    ortLogSeverity: config.logLevel === 'debug' || config.logLevel === 'trace' ? 2 : 4,
  };
  const placed = await openPlacedModel(path, settings, {
    setting: config.session.thread,
    maxBatchSize: config.batching.maxSize,
  });
  const model: InferenceModel = placed.model;
  progress('session', {
    inputs: model.signature.inputs.length,
    outputs: model.signature.outputs.length,
    thread: placed.thread,
    ...(placed.fullBatchMs !== undefined
      ? { fullBatchMs: Number(placed.fullBatchMs.toFixed(3)) }
      : {}),
  });
  try {
    await warmUp(model, config.batching.maxSize);
    progress('warmed', {});
    if (config.goldenRequests.length > 0) {
      await runGoldenRequests(model, config.goldenRequests);
      progress('golden', { passed: config.goldenRequests.length });
    }
  } catch (err) {
    // A session worker would otherwise outlive the failed load.
    await model.release().catch(() => {});
    throw err;
  }
  return {
    signature: model.signature,
    run: (feeds, outputNames, cancel, timed) => model.run(feeds, outputNames, cancel, timed),
    release: () => model.release(),
    onFailure: (listener) => model.onFailure(listener),
    abandon: () => model.abandon(),
    name: config.model.name,
    version: config.model.version,
    sha256,
    path,
    thread: placed.thread,
    ...(placed.fullBatchMs !== undefined ? { fullBatchMs: placed.fullBatchMs } : {}),
  };
}

async function fetchModel(
  config: LoadConfig,
  progress: LoadProgress,
): Promise<{ path: string; sha256: string }> {
  const m = config.model;
  const source = resolveModelUri(m.uri, m.pvcMountRoot);
  if (source.kind !== 'file') return fetchRemote(m, source, progress);
  const where = `model file ${source.path} (MODEL_URI=${m.uri})`;
  const info = await stat(source.path).catch((err: Error) => {
    throw new Error(`${where}: ${err.message}`);
  });
  // Reading a directory fails with a bare "EISDIR: illegal operation on a directory, read".
  if (info.isDirectory())
    throw new Error(`${where} is a directory; point MODEL_URI at the .onnx file inside it`);
  if (info.size > m.maxBytes) {
    throw new Error(
      `model file ${source.path}: ${info.size} bytes is more than MODEL_MAX_BYTES=${m.maxBytes}`,
    );
  }
  const sha256 = await sha256File(source.path).catch((err: Error) => {
    throw new Error(`${where}: ${err.message}`);
  });
  checkDigest(source.path, m.sha256, sha256);
  progress('fetched', { path: source.path, bytes: info.size });
  return { path: source.path, sha256 };
}

/** The smaller of MODEL_MAX_BYTES and the cache volume's size limit, with its name. */
function downloadLimit(m: ModelSource): { maxBytes: number; limitName: string } {
  const cache = m.storage.cacheSizeLimitBytes;
  return cache !== undefined && cache < m.maxBytes
    ? { maxBytes: cache, limitName: 'MODEL_CACHE_SIZE_LIMIT_BYTES (the cache volume sizeLimit)' }
    : { maxBytes: m.maxBytes, limitName: 'MODEL_MAX_BYTES' };
}

async function fetchRemote(
  m: ModelSource,
  source: Exclude<UriSource, { kind: 'file' }>,
  progress: LoadProgress,
): Promise<{ path: string; sha256: string }> {
  const object = await openRemote(source, m.storage);
  const result = await fetchRemoteModel(object, {
    cacheDir: m.cacheDir,
    expectedSha256: m.sha256,
    timeoutMs: m.downloadTimeoutMs,
    ...downloadLimit(m),
    retry: {
      retries: m.downloadRetries,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      sleep,
      onRetry: (attempt, delayMs, error) =>
        progress('retry', { attempt, delayMs, error: error.message }),
    },
    onProgress: (event) => progress('download', { uri: object.location, ...event }),
  });
  progress('fetched', { uri: object.location, bytes: result.bytes, fromCache: result.fromCache });
  return result;
}
