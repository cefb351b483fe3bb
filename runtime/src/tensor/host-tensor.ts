import type { TensorData } from './datatypes.js';

/** A tensor in this process's memory: row-major data and its dimensions. */
export interface HostTensor {
  readonly data: TensorData;
  readonly dims: readonly number[];
}

export type TensorMap = Readonly<Record<string, HostTensor>>;

export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
