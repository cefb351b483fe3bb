import type { DatatypeInfo } from './datatypes.js';

/** One model input or output as the API describes it: dynamic dimensions are -1. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: DatatypeInfo;
  readonly shape: readonly number[];
}

/** `[-1,64]`; a shape of absurd rank (from deeply nested data) is cut short. */
export function describeShape(shape: readonly number[]): string {
  if (shape.length > 16) return `[${shape.slice(0, 8).join(',')},… (${shape.length} dimensions)]`;
  return `[${shape.join(',')}]`;
}
