import { describe, expect, it } from 'vitest';
import { datatypeFromV2 } from './datatypes.js';
import type { TensorSpec } from './tensor-spec.js';
import { decodeTensor } from './tensor-decode.js';

const spec = (v2: string, shape: number[], name = 'x'): TensorSpec => ({
  name,
  datatype: datatypeFromV2(v2)!,
  shape,
});

describe('decodeTensor', () => {
  it('decodes nested data with the nesting as shape', () => {
    const t = decodeTensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      spec('FP32', [-1, 2]),
    );
    expect(t.dims).toEqual([3, 2]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.data).toBeInstanceOf(Float32Array);
  });

  it('decodes flat data with a declared shape, and int64 as BigInt64Array', () => {
    const t = decodeTensor([1, 2, 3, 4], spec('INT64', [-1, 2]), [2, 2]);
    expect(t.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(t.data as BigInt64Array)).toEqual([1n, 2n, 3n, 4n]);
  });

  it('rejects what the model cannot take, naming the input and the expectation', () => {
    expect(() => decodeTensor([[1, 2, 3]], spec('FP32', [-1, 2], 'input'))).toThrow(
      "input 'input': expected shape [-1,2] (-1 = any size), got [1,3]",
    );
    expect(() => decodeTensor([1, 2], spec('FP32', [-1, 2]))).toThrow(
      /expected shape \[-1,2\].*got \[2\]/,
    );
    expect(() => decodeTensor([], spec('FP32', [-1]))).toThrow(/empty batch/);
    expect(() => decodeTensor([[1, 'a']], spec('FP32', [-1, 2]))).toThrow(
      /element 1 .* is "a", expected a finite number/,
    );
    expect(() => decodeTensor([[1, null]], spec('FP32', [-1, 2]))).toThrow(/element 1 .* is null/);
    expect(() => decodeTensor([[1, Infinity]], spec('FP32', [-1, 2]))).toThrow(
      /is Infinity, expected a finite/,
    );
    expect(() => decodeTensor([[1, 2], [3]], spec('FP32', [-1, 2]))).toThrow(/ragged/);
    expect(() => decodeTensor([1, 2, 3], spec('FP32', [-1, 2]), [2, 2])).toThrow(
      /needs 4 elements, data has 3/,
    );
    expect(() => decodeTensor([1.5], spec('INT64', [-1]))).toThrow(/expected an integer/);
    expect(() => decodeTensor([300], spec('UINT8', [-1]))).toThrow(/\[0, 255\]/);
    expect(() => decodeTensor('1,2', spec('FP32', [-1]))).toThrow(/must be an array/);
  });

  it('accepts booleans for BOOL', () => {
    const t = decodeTensor([true, false, 1], spec('BOOL', [-1]));
    expect(Array.from(t.data as Float32Array)).toEqual([1, 0, 1]);
  });
});
