import type { DatatypeInfo } from '../tensor/datatypes.js';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import type { ServingContext } from '../serving-context.js';
import { badRequest } from '../errors.js';
import { checkEntryCount } from '../protocol/request-schemas.js';
import { elementCount } from '../tensor/host-tensor.js';
import { decodeBinaryTensor } from '../tensor/tensor-binary.js';
import { decodeTensorYielding } from '../tensor/tensor-decode.js';
import { describeShape, type TensorSpec } from '../tensor/tensor-spec.js';
import type { InferInputTensor, InferTensorContents, ModelInferRequest } from './messages.js';

type Admission = ReturnType<ServingContext['admission']>;

/** The InferTensorContents field that carries each datatype's elements (the V2 gRPC spec). */
export function contentsField(datatype: DatatypeInfo): keyof InferTensorContents {
  switch (datatype.v2) {
    case 'BOOL':
      return 'bool_contents';
    case 'INT8':
    case 'INT16':
    case 'INT32':
      return 'int_contents';
    case 'INT64':
      return 'int64_contents';
    case 'UINT8':
    case 'UINT16':
    case 'UINT32':
      return 'uint_contents';
    case 'UINT64':
      return 'uint64_contents';
    case 'FP32':
      return 'fp32_contents';
    case 'FP64':
      return 'fp64_contents';
  }
}

/**
 * ModelInferRequest inputs → feeds, with the checks and messages of the REST V2 route:
 * raw_input_contents (one entry per input, in order) or each input's typed contents.
 */
export async function decodeInferInputs(
  ctx: ServingContext,
  request: ModelInferRequest,
): Promise<TensorMap> {
  checkEntryCount(request, 'inputs', [...ctx.inputs.keys()]);
  checkEntryCount(request, 'outputs', [...ctx.outputs.keys()]);
  if (request.inputs.length === 0)
    throw badRequest('invalid request: inputs: expected at least one input');
  const raw = request.raw_input_contents;
  if (raw.length > 0 && raw.length !== request.inputs.length) {
    throw badRequest(
      `raw_input_contents has ${raw.length} entries for ${request.inputs.length} inputs; send one per input, in the order of inputs`,
    );
  }
  const admission = ctx.admission();
  const feeds: Record<string, HostTensor> = {};
  for (const [index, input] of request.inputs.entries()) {
    const spec = checkInput(ctx, input, index, feeds);
    const bytes = raw[index];
    feeds[input.name] =
      bytes !== undefined
        ? decodeRaw(bytes, spec, input, admission)
        : await decodeTyped(spec, input, admission);
  }
  return feeds;
}

function checkInput(
  ctx: ServingContext,
  input: InferInputTensor,
  index: number,
  feeds: Readonly<Record<string, HostTensor>>,
): TensorSpec {
  const spec = ctx.inputs.get(input.name);
  if (spec === undefined) throw badRequest(`unknown input '${input.name}'`);
  if (feeds[input.name] !== undefined) throw badRequest(`input '${input.name}' is given twice`);
  if (input.datatype !== spec.datatype.v2) {
    throw badRequest(
      `input '${input.name}': datatype ${input.datatype} does not match the model's ${spec.datatype.v2}`,
    );
  }
  if (!input.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw badRequest(
      `invalid request: inputs[${index}].shape: expected an array of non-negative integers`,
    );
  }
  return spec;
}

function decodeRaw(
  bytes: Buffer,
  spec: TensorSpec,
  input: InferInputTensor,
  admission: Admission,
): HostTensor {
  if (hasTypedContents(input.contents)) {
    throw badRequest(
      `input '${input.name}': both contents and raw_input_contents carry data; send one of them`,
    );
  }
  const needed = elementCount(input.shape) * spec.datatype.allocate(0).BYTES_PER_ELEMENT;
  if (bytes.length !== needed) {
    throw badRequest(
      `input '${input.name}': raw_input_contents has ${bytes.length} bytes; shape ${describeShape(input.shape)} of ` +
        `${spec.datatype.v2} needs ${needed}`,
    );
  }
  return decodeBinaryTensor(bytes, spec, input.shape, admission);
}

async function decodeTyped(
  spec: TensorSpec,
  input: InferInputTensor,
  admission: Admission,
): Promise<HostTensor> {
  const field = contentsField(spec.datatype);
  const contents = input.contents;
  const other = contents === null ? undefined : populatedFields(contents).find((f) => f !== field);
  if (other !== undefined) {
    throw badRequest(
      `input '${input.name}': ${spec.datatype.v2} elements go in contents.${field}, not contents.${other}`,
    );
  }
  const values = contents?.[field] ?? [];
  const count = elementCount(input.shape);
  if (values.length !== count) {
    throw badRequest(
      `input '${input.name}': contents.${field} has ${values.length} elements; shape ${describeShape(input.shape)} needs ${count}` +
        (values.length === 0 ? ' (or send the tensor in raw_input_contents)' : ''),
    );
  }
  return decodeTensorYielding(values, spec, input.shape, admission);
}

function populatedFields(contents: InferTensorContents): (keyof InferTensorContents)[] {
  return (Object.keys(contents) as (keyof InferTensorContents)[]).filter(
    (f) => Array.isArray(contents[f]) && contents[f].length > 0,
  );
}

function hasTypedContents(contents: InferTensorContents | null): boolean {
  return contents !== null && populatedFields(contents).length > 0;
}
