import { describe, expect, it } from 'vitest';
import { batchKey, concatRows, splitRows } from './tensor-batch.js';

describe('tensor batching', () => {
  it('joins along dimension 0 and splits back without mixing rows', () => {
    const a = { data: Float32Array.from([1, 2]), dims: [1, 2] };
    const b = { data: Float32Array.from([3, 4, 5, 6]), dims: [2, 2] };
    const joined = concatRows([a, b]);
    expect(joined.dims).toEqual([3, 2]);
    expect(Array.from(joined.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const [x, y] = splitRows(joined, [1, 2], 'out');
    expect(x?.dims).toEqual([1, 2]);
    expect(Array.from(x?.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(y?.data as Float32Array)).toEqual([3, 4, 5, 6]);
    expect(concatRows([a])).toBe(a);
    expect(
      concatRows([
        { data: BigInt64Array.from([1n]), dims: [1] },
        { data: BigInt64Array.from([2n]), dims: [1] },
      ]).data,
    ).toEqual(BigInt64Array.from([1n, 2n]));
  });

  it('refuses to split an output whose rows do not match the batch', () => {
    expect(() => splitRows({ data: new Float32Array(4), dims: [1, 4] }, [1, 1], 'out')).toThrow(
      /output 'out' has 1 rows for a batch of 2; .*BATCH_MAX_SIZE=1/,
    );
  });

  it('keys requests by their trailing dimensions', () => {
    const t = (dims: number[]) => ({ data: new Float32Array(0), dims });
    expect(batchKey({ x: t([1, 3]) }, ['x'])).toBe(batchKey({ x: t([5, 3]) }, ['x']));
    expect(batchKey({ x: t([1, 3]) }, ['x'])).not.toBe(batchKey({ x: t([1, 4]) }, ['x']));
  });
});
