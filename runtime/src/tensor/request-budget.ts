import { HttpError } from '../errors.js';
import type { ModelSignature } from '../model/metadata.js';
import { describeShape, type TensorSpec } from './tensor-spec.js';

/** How much one request may ask the runtime to decode and run. */
export interface RequestLimits {
  /** Rows (dimension 0) of any input: REQUEST_MAX_ROWS. */
  readonly maxRows: number;
  /** Elements of all inputs together: REQUEST_MAX_ELEMENTS. */
  readonly maxElements: number;
}

/** Rows a request may have unless REQUEST_MAX_ROWS says otherwise, in full batches… */
export const DEFAULT_ROWS_PER_BATCH_SIZE = 8;
/** …and at least this many, so that BATCH_MAX_SIZE=1 (batching off) still takes multi-row requests. */
export const DEFAULT_MIN_MAX_ROWS = 1024;

/**
 * Limits from the settings, else from the model: rows up to 8 full batches, at least 1024
 * (a larger request runs alone and holds the session for that long), and elements that many rows of every input
 * hold. An input with a dynamic dimension after the first has no fixed row size; then any
 * number of elements the body can carry is allowed (each element takes at least one byte).
 */
export function requestLimits(
  signature: ModelSignature,
  settings: {
    readonly maxRows: number | undefined;
    readonly maxElements: number | undefined;
    readonly maxBatchSize: number;
    readonly bodyLimitBytes: number;
  },
): RequestLimits {
  const maxRows =
    settings.maxRows ??
    Math.max(settings.maxBatchSize * DEFAULT_ROWS_PER_BATCH_SIZE, DEFAULT_MIN_MAX_ROWS);
  let perRow = 0;
  for (const spec of signature.inputs) {
    const rest = signature.batchable ? spec.shape.slice(1) : spec.shape;
    perRow = rest.some((d) => d < 0) ? Infinity : perRow + rest.reduce((a, b) => a * b, 1);
  }
  const rows = signature.batchable ? maxRows : 1;
  const derived = Number.isFinite(perRow) ? rows * perRow : settings.bodyLimitBytes;
  return { maxRows, maxElements: settings.maxElements ?? derived };
}

/**
 * What one request has used of its limits so far. Each input is admitted by its shape before
 * a byte of it is decoded or allocated, so a request that asks for too much costs nothing.
 */
export class RequestBudget {
  private elements = 0;

  constructor(readonly limits: RequestLimits) {}

  /** Throws 413 naming the limit when this input would go past it. */
  admit(spec: TensorSpec, dims: readonly number[], batchable: boolean): void {
    const rows = dims[0] ?? 1;
    if (batchable && rows > this.limits.maxRows) {
      throw new HttpError(
        413,
        `input '${spec.name}': ${rows} rows is more than REQUEST_MAX_ROWS=${this.limits.maxRows}; split the request`,
      );
    }
    let count = 1;
    for (const d of dims) count *= d;
    if (this.elements + count > this.limits.maxElements) {
      throw new HttpError(
        413,
        `input '${spec.name}': shape ${describeShape(dims)} brings the request to ${this.elements + count} elements, ` +
          `more than REQUEST_MAX_ELEMENTS=${this.limits.maxElements}; split the request`,
      );
    }
    this.elements += count;
  }
}
