import type { TensorData } from '../tensor/datatypes.js';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import type { TensorSpec } from '../tensor/tensor-spec.js';
import { badRequest, HttpError } from '../errors.js';
import { tensorBytes } from '../tensor/tensor-binary.js';
import { contentsField } from './infer-inputs.js';
import type { InferOutputTensor, ModelInferRequest, OutputContents } from './messages.js';

/**
 * The outputs a request asks for, in its order, or all of the model's: the REST V2 route's
 * rule and its message for an unknown name.
 */
export function requestedOutputs(
  request: ModelInferRequest,
  outputs: ReadonlyMap<string, TensorSpec>,
): TensorSpec[] {
  if (request.outputs.length === 0) return [...outputs.values()];
  return request.outputs.map((wanted, index) => {
    const spec = outputs.get(wanted.name);
    if (spec === undefined) {
      throw badRequest(
        `invalid request: outputs[${index}].name: expected one of the model's outputs: ${[...outputs.keys()].join(', ')}`,
      );
    }
    return spec;
  });
}

export interface EncodedOutputs {
  readonly outputs: InferOutputTensor[];
  readonly raw_output_contents: Buffer[];
}

/**
 * Raw bytes (raw_output_contents, what Triton answers and tritonclient reads) when the
 * request sent raw_input_contents, else each output's typed contents, so a client gets its
 * answer in the form it chose for its inputs.
 */
export function encodeOutputs(
  wanted: readonly TensorSpec[],
  results: TensorMap,
  raw: boolean,
): EncodedOutputs {
  const outputs: InferOutputTensor[] = [];
  const rawContents: Buffer[] = [];
  for (const spec of wanted) {
    const tensor: HostTensor | undefined = results[spec.name];
    if (tensor === undefined)
      throw new HttpError(500, `the model produced no output '${spec.name}'`);
    const head = { name: spec.name, datatype: spec.datatype.v2, shape: [...tensor.dims] };
    if (raw) {
      outputs.push(head);
      rawContents.push(tensorBytes(tensor.data));
    } else {
      outputs.push({ ...head, contents: typedContents(spec, tensor.data) });
    }
  }
  return { outputs, raw_output_contents: rawContents };
}

function typedContents(spec: TensorSpec, data: TensorData): OutputContents {
  const field = contentsField(spec.datatype);
  switch (spec.datatype.kind) {
    case 'bool':
      return { [field]: Array.from(data as Uint8Array, (v) => v !== 0) };
    case 'bigint':
      // int64 travels as decimal text, so values beyond 2^53 keep every digit.
      return { [field]: Array.from(data as BigInt64Array, (v) => v.toString()) };
    default:
      return { [field]: Array.from(data as Float32Array) };
  }
}
