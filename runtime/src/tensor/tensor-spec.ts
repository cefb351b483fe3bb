import type { DatatypeInfo } from './datatypes.js';

/** One model input or output as the API describes it: dynamic dimensions are -1. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: DatatypeInfo;
  readonly shape: readonly number[];
}

export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
