import { describe, expect, it } from 'vitest';
import { firstDifference } from './golden.js';

describe('firstDifference', () => {
  it('finds the first element outside the tolerance', () => {
    expect(firstDifference([1, 2, 3], Float32Array.from([1, 2.00001, 3]), 1e-4)).toBeUndefined();
    expect(firstDifference([1, 2, 3], Float32Array.from([1, 2.1, 3.5]), 1e-4)).toMatchObject({
      index: 1,
      expected: 2,
    });
  });

  it('treats a length difference and NaN as a mismatch', () => {
    expect(firstDifference([1, 2], Float32Array.from([1]), 1)).toEqual({
      index: 1,
      expected: 2,
      actual: undefined,
    });
    expect(firstDifference([1], Float32Array.from([NaN]), 1)?.index).toBe(0);
    expect(firstDifference([5], BigInt64Array.from([5n]), 0)).toBeUndefined();
  });
});
