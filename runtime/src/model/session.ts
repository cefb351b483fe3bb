import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { RunTimingListener } from '../observability/run-timing.js';
import type { TensorData } from '../tensor/datatypes.js';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import { signatureFrom, type ModelSignature } from './metadata.js';
import { loadOnnxRuntime, type Ort } from './onnxruntime.js';
import type { SessionThreadSetting } from './session-placement.js';

/** A model session as the rest of the runtime sees it: metadata and a run on host tensors. */
export interface InferenceModel {
  readonly signature: ModelSignature;
  /**
   * Runs the model. The model may take ownership of the feeds' memory (the worker-thread
   * session transfers whole ArrayBuffers instead of copying them), so callers must not read
   * or reuse feed data after calling run. When `cancel` aborts before the run has started
   * (the worker-thread session, with a run queued behind another), it is skipped and rejects;
   * a run already started completes. `timed` hears when session.run ran, measured on the
   * thread that ran it (for the inference span), once the run was started.
   */
  run(
    feeds: TensorMap,
    outputNames?: readonly string[],
    cancel?: AbortSignal,
    timed?: RunTimingListener,
  ): Promise<TensorMap>;
  release(): Promise<void>;
  /**
   * Calls `listener` once if the model can no longer run (its worker thread died). An
   * in-thread session fails only with its process, so it never calls it.
   */
  onFailure(listener: (reason: string) => void): void;
  /**
   * For the shutdown deadline: start no further run (those handed over fail) and resolve once
   * none is in progress. A run already inside onnxruntime cannot be interrupted, and ending
   * the process under it aborts it (exit 134), so the caller waits for this before exiting.
   */
  abandon(): Promise<void>;
}

/** The session options a deployment can set (INTRA_OP_THREADS … SESSION_THREAD). */
export interface SessionConfig {
  readonly intraOpThreads: number | undefined;
  readonly interOpThreads: number | undefined;
  readonly graphOptimization: NonNullable<
    InferenceSession.SessionOptions['graphOptimizationLevel']
  >;
  readonly threadSpinning: boolean;
  readonly thread: SessionThreadSetting;
}

export interface SessionSettings {
  readonly session: SessionConfig;
  readonly ortTelemetry: boolean;
  /** onnxruntime's own log level: 0 verbose … 4 fatal; its lines go to stderr, not pino. */
  readonly ortLogSeverity: 0 | 1 | 2 | 3 | 4;
}

/** onnxruntime loaded and one session created from the settings, on the calling thread. */
export interface OpenSession {
  readonly ort: Ort;
  readonly session: InferenceSession;
}

/**
 * The session on the JavaScript thread that calls run: onnxruntime-node 1.30 runs
 * `session.run` synchronously on it, so nothing else in that thread runs meanwhile. The
 * runtime uses it for models whose full batch is cheap (SESSION_THREAD=auto, see
 * session-placement.ts) or when SESSION_THREAD=main; the raw-loop benchmark uses it too.
 */
export async function createInferenceModel(
  path: string,
  settings: SessionSettings,
): Promise<InferenceModel> {
  const { ort, session } = await openSession(path, settings);
  const signature = signatureFrom(session.inputMetadata, session.outputMetadata);
  return {
    signature,
    run: async (feeds, outputNames, _cancel, timed) => {
      const startedNs = process.hrtime.bigint();
      try {
        return await runSession(ort, session, signature, feeds, outputNames);
      } finally {
        timed?.({ startedNs, endedNs: process.hrtime.bigint() });
      }
    },
    release: () => session.release(),
    onFailure: () => {},
    // On this thread no run can be in progress while the caller's code runs.
    abandon: () => Promise.resolve(),
  };
}

/** Loads onnxruntime (telemetry off unless opted into) and creates the session. */
export async function openSession(path: string, settings: SessionSettings): Promise<OpenSession> {
  const ort = await loadOnnxRuntime(settings.ortTelemetry);
  const session = await ort.InferenceSession.create(path, sessionOptions(settings));
  return { ort, session };
}

function sessionOptions(settings: SessionSettings): InferenceSession.SessionOptions {
  const { intraOpThreads, interOpThreads, graphOptimization, threadSpinning } = settings.session;
  // Spinning pool threads take CPU from the JavaScript thread that parses requests between runs.
  const spinning = threadSpinning ? '1' : '0';
  return {
    graphOptimizationLevel: graphOptimization,
    executionMode: 'sequential',
    logSeverityLevel: settings.ortLogSeverity,
    extra: {
      session: { intra_op: { allow_spinning: spinning }, inter_op: { allow_spinning: spinning } },
    },
    ...(intraOpThreads !== undefined ? { intraOpNumThreads: intraOpThreads } : {}),
    ...(interOpThreads !== undefined ? { interOpNumThreads: interOpThreads } : {}),
  };
}

/** One session.run on host tensors; the outputs' data are the arrays onnxruntime returned. */
export async function runSession(
  ort: Ort,
  session: InferenceSession,
  signature: ModelSignature,
  feeds: TensorMap,
  outputNames: readonly string[] | undefined,
): Promise<TensorMap> {
  const ortFeeds: Record<string, Tensor> = {};
  for (const spec of signature.inputs) {
    const t = feeds[spec.name];
    if (t === undefined) throw new Error(`input '${spec.name}' is missing`);
    ortFeeds[spec.name] = new ort.Tensor(spec.datatype.ort, t.data, t.dims);
  }
  const results =
    outputNames === undefined
      ? await session.run(ortFeeds)
      : await session.run(ortFeeds, outputNames);
  const out: Record<string, HostTensor> = {};
  for (const [name, value] of Object.entries(results)) {
    const tensor = value as Tensor;
    out[name] = { data: tensor.data as TensorData, dims: tensor.dims };
  }
  return out;
}
