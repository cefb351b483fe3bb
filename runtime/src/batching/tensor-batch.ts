import type { TensorData } from '../tensor/datatypes.js';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';

type TensorDataConstructor = new (length: number) => TensorData;

/** Requests can share a run when every input agrees on all dimensions but the first. */
export function batchKey(feeds: TensorMap, inputNames: readonly string[]): string {
  let key = '';
  for (const name of inputNames) key += `${feeds[name]?.dims.slice(1).join('x') ?? ''};`;
  return key;
}

/** Joins tensors along dimension 0 (same element type and trailing dimensions). */
export function concatRows(parts: readonly HostTensor[]): HostTensor {
  const first = parts[0];
  if (first === undefined) throw new Error('concatRows: nothing to join');
  if (parts.length === 1) return first;
  let rows = 0;
  let length = 0;
  for (const p of parts) {
    rows += p.dims[0] ?? 0;
    length += p.data.length;
  }
  const Ctor = first.data.constructor as TensorDataConstructor;
  const data = new Ctor(length);
  let offset = 0;
  for (const p of parts) {
    (data as Float32Array).set(p.data as Float32Array, offset);
    offset += p.data.length;
  }
  return { data, dims: [rows, ...first.dims.slice(1)] };
}

/** Splits a batch output back into one tensor per request, without copying. */
export function splitRows(
  tensor: HostTensor,
  rowCounts: readonly number[],
  name: string,
): HostTensor[] {
  const total = rowCounts.reduce((a, b) => a + b, 0);
  const rows = tensor.dims[0];
  if (rows !== total) {
    throw new Error(
      `output '${name}' has ${rows ?? 'no'} rows for a batch of ${total}; this model cannot be batched: set BATCH_MAX_SIZE=1`,
    );
  }
  const rowSize = rows === 0 ? 0 : tensor.data.length / rows;
  const rest = tensor.dims.slice(1);
  const out: HostTensor[] = [];
  let offset = 0;
  for (const count of rowCounts) {
    const data = tensor.data.subarray(offset * rowSize, (offset + count) * rowSize);
    out.push({ data, dims: [count, ...rest] });
    offset += count;
  }
  return out;
}
