import type { ElementKind, TensorData } from './datatypes.js';

/**
 * Writes tensor data as JSON text directly from typed arrays: no intermediate JS arrays,
 * no per-element objects. Non-finite floats become null (as JSON.stringify would).
 */
export function writeFlat(data: TensorData, kind: ElementKind): string {
  return writeRange(data, 0, data.length, kind);
}

/** Nested row-major arrays for `dims`, e.g. [[1,2],[3,4]] for dims [2,2]. */
export function writeNested(data: TensorData, dims: readonly number[], kind: ElementKind): string {
  if (dims.length <= 1) return writeRange(data, 0, data.length, kind);
  return nested(data, dims, 0, 0, strides(dims), kind);
}

/** One JSON value per row of dimension 0 (V1 predictions). */
export function writeRows(data: TensorData, dims: readonly number[], kind: ElementKind): string[] {
  const rows = dims[0] ?? 0;
  const rest = dims.slice(1);
  const size = rows === 0 ? 0 : data.length / rows;
  const out: string[] = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * size, (r + 1) * size);
    out[r] = rest.length === 0 ? element(row[0], kind) : writeNested(row, rest, kind);
  }
  return out;
}

function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = (s[i + 1] ?? 1) * (dims[i + 1] ?? 1);
  return s;
}

function nested(
  data: TensorData,
  dims: readonly number[],
  depth: number,
  offset: number,
  stride: readonly number[],
  kind: ElementKind,
): string {
  const n = dims[depth] ?? 0;
  if (depth === dims.length - 1) return writeRange(data, offset, offset + n, kind);
  const step = stride[depth] ?? 1;
  let s = '[';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ',';
    s += nested(data, dims, depth + 1, offset + i * step, stride, kind);
  }
  return `${s}]`;
}

function writeRange(data: TensorData, start: number, end: number, kind: ElementKind): string {
  if (end <= start) return '[]';
  let s = '[' + element(data[start], kind);
  if (kind === 'float') {
    const f = data as Float32Array;
    for (let i = start + 1; i < end; i++) {
      const v = f[i] as number;
      s += v - v === 0 ? ',' + v : ',null';
    }
  } else {
    for (let i = start + 1; i < end; i++) s += ',' + element(data[i], kind);
  }
  return s + ']';
}

function element(v: number | bigint | undefined, kind: ElementKind): string {
  if (v === undefined) return 'null';
  if (kind === 'bool') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  return Number.isFinite(v) ? String(v) : 'null';
}
