import type { TensorData } from './datatypes.js';
import { elementCount, type HostTensor } from './host-tensor.js';
import { describeShape, type TensorSpec } from './tensor-spec.js';
import { badRequest } from '../errors.js';

/**
 * Turns JSON tensor data (flat or nested, row-major) into a typed array in one pass,
 * checking every element against the input's element type. `declared` is the shape a V2
 * request states; without it the nesting gives the shape (/predict, V1).
 */
export function decodeTensor(
  value: unknown,
  spec: TensorSpec,
  declared?: readonly number[],
): HostTensor {
  if (!Array.isArray(value)) throw badRequest(`input '${spec.name}': data must be an array`);
  const nested = nestedShape(value);
  const count = elementCount(nested);
  const dims = declared ?? nested;
  if (declared !== undefined && elementCount(declared) !== count) {
    throw badRequest(
      `input '${spec.name}': shape ${describeShape(declared)} needs ${elementCount(declared)} elements, data has ${count}`,
    );
  }
  checkShape(spec, dims);
  const data = spec.datatype.allocate(count);
  fill(value, nested, 0, data, 0, spec);
  return { data, dims };
}

/** The shape the nesting implies, read along the first element at every depth. */
function nestedShape(value: readonly unknown[]): number[] {
  const shape: number[] = [];
  let cur: unknown = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** Checks rank, fixed dimensions and emptiness against the model's metadata. */
export function checkShape(spec: TensorSpec, dims: readonly number[]): void {
  const expected = spec.shape;
  const bad = dims.length !== expected.length || expected.some((d, i) => d !== -1 && d !== dims[i]);
  if (bad) {
    throw badRequest(
      `input '${spec.name}': expected shape ${describeShape(expected)} (-1 = any size), got ${describeShape(dims)}`,
    );
  }
  if (dims.some((d) => d === 0)) {
    const what = dims[0] === 0 ? 'empty batch' : 'empty dimension';
    throw badRequest(
      `input '${spec.name}': ${what} in shape ${describeShape(dims)}; send at least one element`,
    );
  }
}

function fill(
  value: readonly unknown[],
  shape: readonly number[],
  depth: number,
  out: TensorData,
  offset: number,
  spec: TensorSpec,
): number {
  if (value.length !== shape[depth]) {
    throw badRequest(
      `input '${spec.name}': ragged data: an array at depth ${depth} has ${value.length} elements, expected ${shape[depth]}`,
    );
  }
  if (depth === shape.length - 1) return fillLeaves(value, out, offset, spec);
  let o = offset;
  for (const child of value) {
    if (!Array.isArray(child)) {
      throw badRequest(
        `input '${spec.name}': ragged data: expected an array at depth ${depth + 1}`,
      );
    }
    o = fill(child, shape, depth + 1, out, o, spec);
  }
  return o;
}

function fillLeaves(
  value: readonly unknown[],
  out: TensorData,
  offset: number,
  spec: TensorSpec,
): number {
  const info = spec.datatype;
  if (info.kind === 'float') {
    const f = out as Float32Array | Float64Array;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw badElement(spec, offset + i, v, 'a finite number');
      if (v < info.min || v > info.max)
        throw badElement(spec, offset + i, v, `a number in [${info.min}, ${info.max}]`);
      f[offset + i] = v;
    }
  } else if (info.kind === 'int') {
    const a = out as Int32Array;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < info.min || v > info.max) {
        throw badElement(spec, offset + i, v, `an integer in [${info.min}, ${info.max}]`);
      }
      a[offset + i] = v;
    }
  } else if (info.kind === 'bigint') {
    const a = out as BigInt64Array;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < info.min) {
        throw badElement(spec, offset + i, v, `an integer in [${info.min}, ${info.max}]`);
      }
      a[offset + i] = BigInt(v);
    }
  } else {
    const a = out as Uint8Array;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v !== 'boolean' && v !== 0 && v !== 1)
        throw badElement(spec, offset + i, v, 'true or false');
      a[offset + i] = v === true || v === 1 ? 1 : 0;
    }
  }
  return offset + value.length;
}

function badElement(spec: TensorSpec, index: number, value: unknown, expected: string): Error {
  const shown = JSON.stringify(value) ?? String(value);
  const got = typeof value === 'number' && !Number.isFinite(value) ? String(value) : shown;
  return badRequest(
    `input '${spec.name}': element ${index} (row-major) is ${got.length > 40 ? `${got.slice(0, 40)}…` : got}, expected ${expected} (${spec.datatype.v2})`,
  );
}
