import type { InferenceSession } from 'onnxruntime-node';
import { datatypeFromOrt } from '../tensor/datatypes.js';
import type { TensorSpec } from '../tensor/tensor-spec.js';

export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** True when every input and output has a dynamic first dimension, so requests can be joined. */
  readonly batchable: boolean;
}

function tensorSpecFrom(meta: InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) {
    throw new Error(
      `model value '${meta.name}' is not a tensor; only tensor inputs and outputs are supported`,
    );
  }
  const datatype = datatypeFromOrt(meta.type);
  if (datatype === undefined) {
    throw new Error(
      `model value '${meta.name}' has element type '${meta.type}', which this runtime does not serve ` +
        '(supported: bool, (u)int8/16/32/64, float32, float64)',
    );
  }
  const shape = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  return { name: meta.name, datatype, shape };
}

export function signatureFrom(
  inputs: readonly InferenceSession.ValueMetadata[],
  outputs: readonly InferenceSession.ValueMetadata[],
): ModelSignature {
  const inSpecs = inputs.map(tensorSpecFrom);
  const outSpecs = outputs.map(tensorSpecFrom);
  const dynamicFirst = (s: TensorSpec): boolean => s.shape.length > 0 && s.shape[0] === -1;
  return {
    inputs: inSpecs,
    outputs: outSpecs,
    batchable: inSpecs.every(dynamicFirst) && outSpecs.every(dynamicFirst),
  };
}
