import type { TensorData } from './datatypes.js';
import { elementCount, type HostTensor } from './host-tensor.js';
import { describeShape, type TensorSpec } from './tensor-spec.js';
import { badRequest } from '../errors.js';
import type { RequestBudget } from './request-budget.js';
import { checkShape } from './tensor-decode.js';

/**
 * A tensor from the V2 binary tensor data extension: little-endian, row-major, native
 * element size. Copied into an aligned typed array and checked like JSON data (finite
 * floats, 0/1 booleans).
 */
export function decodeBinaryTensor(
  bytes: Uint8Array,
  spec: TensorSpec,
  dims: readonly number[],
  admission?: { readonly budget: RequestBudget; readonly batchable: boolean },
): HostTensor {
  checkShape(spec, dims);
  const count = elementCount(dims);
  // Sizes are compared before allocating: the shape is the client's word, the bytes are real.
  const needed = count * spec.datatype.allocate(0).BYTES_PER_ELEMENT;
  if (bytes.length !== needed) {
    throw badRequest(
      `input '${spec.name}': binary_data_size is ${bytes.length} bytes; shape ${describeShape(dims)} of ` +
        `${spec.datatype.v2} needs ${needed}`,
    );
  }
  admission?.budget.admit(spec, dims, admission.batchable);
  const data = spec.datatype.allocate(count);
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
  checkElements(data, spec);
  return { data, dims };
}

function checkElements(data: TensorData, spec: TensorSpec): void {
  const kind = spec.datatype.kind;
  if (kind !== 'float' && kind !== 'bool') return;
  const values = data as Float32Array;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const ok = kind === 'float' ? v - v === 0 : v === 0 || v === 1;
    if (!ok) {
      throw badRequest(
        `input '${spec.name}': element ${i} (row-major) is ${v}, expected ${kind === 'float' ? 'a finite number' : '0 or 1'} (${spec.datatype.v2})`,
      );
    }
  }
}

/** The bytes of a tensor for a binary response (little-endian on every platform Node runs on here). */
export function tensorBytes(data: TensorData): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
