import { describe, expect, it } from 'vitest';
import { writeFlat, writeNested, writeRows } from './tensor-json.js';

describe('tensor JSON writer', () => {
  it('writes what JSON.stringify would for the same numbers', () => {
    const data = Float32Array.from([0.1, -2, 3.5, 1e-8, 0, 7]);
    const asArray = Array.from(data);
    expect(writeFlat(data, 'float')).toBe(JSON.stringify(asArray));
    expect(writeNested(data, [2, 3], 'float')).toBe(
      JSON.stringify([asArray.slice(0, 3), asArray.slice(3)]),
    );
    expect(writeNested(data, [3, 1, 2], 'float')).toBe(
      JSON.stringify([[asArray.slice(0, 2)], [asArray.slice(2, 4)], [asArray.slice(4)]]),
    );
  });

  it('writes non-finite floats as null, int64 as integers and bools as booleans', () => {
    expect(writeFlat(Float32Array.from([NaN, Infinity, 1]), 'float')).toBe('[null,null,1]');
    expect(writeFlat(BigInt64Array.from([1n, -9007199254740993n]), 'bigint')).toBe(
      '[1,-9007199254740993]',
    );
    expect(writeFlat(Uint8Array.from([1, 0]), 'bool')).toBe('[true,false]');
    expect(writeFlat(new Float32Array(0), 'float')).toBe('[]');
  });

  it('splits rows for V1 predictions', () => {
    expect(writeRows(Int32Array.from([1, 2, 3, 4]), [2, 2], 'int')).toEqual(['[1,2]', '[3,4]']);
    expect(writeRows(Int32Array.from([5, 6]), [2], 'int')).toEqual(['5', '6']);
  });
});
