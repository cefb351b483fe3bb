import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { RuntimeConfig } from '../config.js';
import type { TensorData } from './datatypes.js';
import type { HostTensor, TensorMap } from './host-tensor.js';
import { signatureFrom, type ModelSignature } from './metadata.js';
import { loadOnnxRuntime, type Ort } from './onnxruntime.js';

/** A model session as the rest of the runtime sees it: metadata and a run on host tensors. */
export interface InferenceModel {
  readonly signature: ModelSignature;
  run(feeds: TensorMap, outputNames?: readonly string[]): Promise<TensorMap>;
  release(): Promise<void>;
}

export interface SessionSettings {
  readonly session: RuntimeConfig['session'];
  readonly ortTelemetry: boolean;
  /** onnxruntime's own log level: 0 verbose … 4 fatal; its lines go to stderr, not pino. */
  readonly ortLogSeverity: 0 | 1 | 2 | 3 | 4;
}

export async function createInferenceModel(
  path: string,
  settings: SessionSettings,
): Promise<InferenceModel> {
  const ort = await loadOnnxRuntime(settings.ortTelemetry);
  const session = await ort.InferenceSession.create(path, sessionOptions(settings));
  const signature = signatureFrom(session.inputMetadata, session.outputMetadata);
  return {
    signature,
    run: (feeds, outputNames) => runSession(ort, session, signature, feeds, outputNames),
    release: () => session.release(),
  };
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

async function runSession(
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
