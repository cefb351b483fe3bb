import type { HostTensor } from '../tensor/host-tensor.js';
import { elementCount } from '../tensor/host-tensor.js';
import type { ModelSignature } from './metadata.js';
import type { InferenceModel } from './session.js';

/** Zero-filled inputs built from the metadata, dynamic dimensions set to `rows` (first) or 1. */
export function zeroInputs(signature: ModelSignature, rows: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const spec of signature.inputs) {
    const dims = spec.shape.map((d, i) => (d !== -1 ? d : i === 0 ? rows : 1));
    feeds[spec.name] = { data: spec.datatype.allocate(elementCount(dims)), dims };
  }
  return feeds;
}

/**
 * Runs the model before it takes traffic so the first real request does not pay for
 * memory planning: at batch 1 and, for batchable models, at the largest batch.
 */
export async function warmUp(model: InferenceModel, maxBatchSize: number, runs = 2): Promise<void> {
  const sizes = model.signature.batchable && maxBatchSize > 1 ? [1, maxBatchSize] : [1];
  for (const rows of sizes) {
    for (let i = 0; i < runs; i++) await model.run(zeroInputs(model.signature, rows));
  }
}
