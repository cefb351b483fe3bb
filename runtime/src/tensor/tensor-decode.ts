import type { TensorData } from './datatypes.js';
import { elementCount, type HostTensor } from './host-tensor.js';
import type { RequestBudget } from './request-budget.js';
import { describeShape, type TensorSpec } from './tensor-spec.js';
import { badRequest } from '../errors.js';

/** Elements decoded between two yields to the event loop (a few milliseconds of work). */
export const DECODE_CHUNK_ELEMENTS = 65_536;

interface Admission {
  readonly budget: RequestBudget;
  readonly batchable: boolean;
}

interface Prepared {
  readonly nested: readonly number[];
  readonly dims: readonly number[];
  readonly data: TensorData;
}

/**
 * Turns JSON tensor data (flat or nested, row-major) into a typed array in one pass,
 * checking every element against the input's element type. `declared` is the shape a V2
 * request states; without it the nesting gives the shape (/predict, V1).
 */
export function decodeTensor(
  value: unknown,
  spec: TensorSpec,
  declared?: readonly number[],
  admission?: Admission,
): HostTensor {
  const { nested, dims, data } = prepare(value, spec, declared, admission);
  fill(value as unknown[], 0, nested[0] ?? 0, nested, 0, data, 0, spec);
  return { data, dims };
}

/**
 * decodeTensor for request handlers: a large tensor is decoded in chunks of
 * DECODE_CHUNK_ELEMENTS with a yield to the event loop between them, so health checks and
 * other requests are answered while it is decoded.
 */
export async function decodeTensorYielding(
  value: unknown,
  spec: TensorSpec,
  declared: readonly number[] | undefined,
  admission: Admission,
): Promise<HostTensor> {
  const { nested, dims, data } = prepare(value, spec, declared, admission);
  if (data.length <= DECODE_CHUNK_ELEMENTS) {
    fill(value as unknown[], 0, nested[0] ?? 0, nested, 0, data, 0, spec);
    return { data, dims };
  }
  // Chunk along the first nesting level with more than one item ([[…1M…]] is one row).
  let level = value as unknown[];
  let depth = 0;
  while (depth < nested.length - 1 && nested[depth] === 1) {
    const child = level[0];
    if (level.length !== 1 || !Array.isArray(child)) throw ragged(spec, depth, level.length, 1);
    level = child;
    depth++;
  }
  const perItem = elementCount(nested.slice(depth + 1));
  const step = Math.max(1, Math.floor(DECODE_CHUNK_ELEMENTS / perItem));
  if (level.length !== nested[depth]) throw ragged(spec, depth, level.length, nested[depth] ?? 0);
  let offset = 0;
  for (let start = 0; start < level.length; start += step) {
    offset = fill(
      level,
      start,
      Math.min(level.length, start + step),
      nested,
      depth,
      data,
      offset,
      spec,
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { data, dims };
}

/** Checks the shape against the model and the request's limits, then allocates. */
function prepare(
  value: unknown,
  spec: TensorSpec,
  declared: readonly number[] | undefined,
  admission: Admission | undefined,
): Prepared {
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
  admission?.budget.admit(spec, dims, admission.batchable);
  return { nested, dims, data: spec.datatype.allocate(count) };
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

/** Fills items [start, end) of an array at `depth`; returns the next offset in `out`. */
function fill(
  value: readonly unknown[],
  start: number,
  end: number,
  shape: readonly number[],
  depth: number,
  out: TensorData,
  offset: number,
  spec: TensorSpec,
): number {
  if (start === 0 && value.length !== shape[depth]) {
    throw ragged(spec, depth, value.length, shape[depth] ?? 0);
  }
  if (depth === shape.length - 1) return fillLeaves(value, start, end, out, offset, spec);
  let o = offset;
  for (let i = start; i < end; i++) {
    const child = value[i];
    if (!Array.isArray(child)) {
      throw badRequest(
        `input '${spec.name}': ragged data: expected an array at depth ${depth + 1}`,
      );
    }
    o = fill(child, 0, child.length, shape, depth + 1, out, o, spec);
  }
  return o;
}

function ragged(spec: TensorSpec, depth: number, got: number, expected: number): Error {
  return badRequest(
    `input '${spec.name}': ragged data: an array at depth ${depth} has ${got} elements, expected ${expected}`,
  );
}

function fillLeaves(
  value: readonly unknown[],
  start: number,
  end: number,
  out: TensorData,
  offset: number,
  spec: TensorSpec,
): number {
  // Element i of `value` goes to out[at + i].
  const at = offset - start;
  const info = spec.datatype;
  if (info.kind === 'float') {
    const f = out as Float32Array | Float64Array;
    for (let i = start; i < end; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw badElement(spec, at + i, v, 'a finite number');
      if (v < info.min || v > info.max)
        throw badElement(spec, at + i, v, `a number in [${info.min}, ${info.max}]`);
      f[at + i] = v;
    }
  } else if (info.kind === 'int') {
    const a = out as Int32Array;
    for (let i = start; i < end; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < info.min || v > info.max) {
        throw badElement(spec, at + i, v, `an integer in [${info.min}, ${info.max}]`);
      }
      a[at + i] = v;
    }
  } else if (info.kind === 'bigint') {
    const a = out as BigInt64Array;
    for (let i = start; i < end; i++) {
      const v = value[i];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < info.min) {
        throw badElement(spec, at + i, v, `an integer in [${info.min}, ${info.max}]`);
      }
      a[at + i] = BigInt(v);
    }
  } else {
    const a = out as Uint8Array;
    for (let i = start; i < end; i++) {
      const v = value[i];
      if (typeof v !== 'boolean' && v !== 0 && v !== 1)
        throw badElement(spec, at + i, v, 'true or false');
      a[at + i] = v === true || v === 1 ? 1 : 0;
    }
  }
  return at + end;
}

function badElement(spec: TensorSpec, index: number, value: unknown, expected: string): Error {
  const shown = JSON.stringify(value) ?? String(value);
  const got = typeof value === 'number' && !Number.isFinite(value) ? String(value) : shown;
  return badRequest(
    `input '${spec.name}': element ${index} (row-major) is ${got.length > 40 ? `${got.slice(0, 40)}…` : got}, expected ${expected} (${spec.datatype.v2})`,
  );
}
