import type { LoadRequest } from '../lib/correctness.js';
import { measureCell, type LoadResult } from '../lib/wrk.js';

/** The load of same-process.ts's and profile.ts --alternate's slices on one runtime. */
export interface SliceLoad {
  readonly url: string;
  readonly request: LoadRequest;
  readonly connections: number;
  /** Every Nth request carries a caller's traceparent, sampled in traced slices. */
  readonly every: number;
  /** False: untraced slices send no traceparent at all (same-process.ts --untraced plain). */
  readonly traceparentWhenUntraced: boolean;
}

/**
 * One slice: the runtime samples no root trace, so exactly the requests whose traceparent
 * says the caller sampled are traced, and wrk does the same work in both kinds of slice.
 */
export function driveSlice(load: SliceLoad, traced: boolean, seconds: number): Promise<LoadResult> {
  return measureCell({
    url: load.url,
    body: load.request.body,
    contentType: load.request.contentType,
    headers: load.request.headers,
    connections: load.connections,
    seconds,
    warmupSeconds: 0,
    traceparentEvery: traced || load.traceparentWhenUntraced ? load.every : 0,
    traceparentSampled: traced,
  });
}

/** A round's two kinds, the order swapped every other round. */
export function roundOrder<K>(round: number, first: K, second: K): [K, K] {
  return round % 2 === 1 ? [first, second] : [second, first];
}
