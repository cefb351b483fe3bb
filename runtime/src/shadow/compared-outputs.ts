/**
 * One model answer reduced to what two models' answers can be compared on: each output's
 * shape and its elements. Numbers are doubles; JSON null (how a non-finite value travels,
 * see protocol/non-finite-outputs.ts) is NaN; BYTES elements stay text.
 */
export interface ComparedTensor {
  readonly shape: readonly number[];
  readonly values: Float64Array | readonly string[];
}

/** Output name → tensor. V1's single unnamed output is named PREDICTIONS. */
export type ComparedOutputs = ReadonlyMap<string, ComparedTensor>;

export const PREDICTIONS = 'predictions';
