import type { GoldenRequest } from '../config/golden-requests.js';
import { decodeTensor } from '../tensor/tensor-decode.js';
import type { TensorData } from '../tensor/datatypes.js';
import type { HostTensor } from '../tensor/host-tensor.js';
import type { InferenceModel } from './session.js';

export class GoldenCheckError extends Error {}

export interface OutputDifference {
  readonly index: number;
  readonly expected: number | boolean | undefined;
  readonly actual: number | undefined;
}

/** The first element where actual and expected differ by more than the tolerance, if any. */
export function firstDifference(
  expected: readonly (number | boolean)[],
  actual: TensorData,
  tolerance: number,
): OutputDifference | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const raw = actual[i];
    const a = raw === undefined ? undefined : Number(raw);
    const want = typeof e === 'boolean' ? Number(e) : e;
    if (want === undefined || a === undefined || !(Math.abs(a - want) <= tolerance)) {
      return { index: i, expected: e, actual: a };
    }
  }
  return undefined;
}

/** Runs every golden request; throws GoldenCheckError describing the first mismatch. */
export async function runGoldenRequests(
  model: InferenceModel,
  requests: readonly GoldenRequest[],
): Promise<void> {
  for (const request of requests) await runOne(model, request);
}

async function runOne(model: InferenceModel, request: GoldenRequest): Promise<void> {
  const where = `golden request '${request.name}'`;
  const feeds: Record<string, HostTensor> = {};
  for (const input of request.inputs) {
    const spec = model.signature.inputs.find((s) => s.name === input.name);
    if (spec === undefined)
      throw new GoldenCheckError(`${where}: the model has no input '${input.name}'`);
    if (input.datatype !== undefined && input.datatype !== spec.datatype.v2) {
      throw new GoldenCheckError(
        `${where}: input '${input.name}' is ${spec.datatype.v2}, not ${input.datatype}`,
      );
    }
    try {
      feeds[input.name] = decodeTensor(input.data, spec, input.shape);
    } catch (err) {
      throw new GoldenCheckError(`${where}: ${(err as Error).message}`);
    }
  }
  let outputs;
  try {
    outputs = await model.run(feeds);
  } catch (err) {
    throw new GoldenCheckError(`${where}: inference failed: ${(err as Error).message}`);
  }
  for (const expected of request.outputs) {
    const actual = outputs[expected.name];
    if (actual === undefined)
      throw new GoldenCheckError(`${where}: the model has no output '${expected.name}'`);
    const diff = firstDifference(expected.data, actual.data, request.tolerance);
    if (diff !== undefined) {
      throw new GoldenCheckError(
        `${where}: output '${expected.name}' differs at index ${diff.index}: expected ${diff.expected ?? '(nothing)'}, ` +
          `got ${diff.actual ?? '(nothing)'} (tolerance ${request.tolerance}; expected ${expected.data.length} ` +
          `elements, got ${actual.data.length})`,
      );
    }
  }
}
