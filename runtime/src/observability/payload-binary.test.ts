import { describe, expect, it } from 'vitest';
import { withBinaryData } from './payload-binary.js';

describe('withBinaryData', () => {
  it('gives each binary input its own bytes, in order, and leaves JSON inputs alone', () => {
    const json = {
      id: 'r1',
      inputs: [
        { name: 'a', datatype: 'UINT8', shape: [2], parameters: { binary_data_size: 2 } },
        { name: 'b', datatype: 'FP32', shape: [1], data: [0.5] },
        { name: 'c', datatype: 'UINT8', shape: [3], parameters: { binary_data_size: 3 } },
      ],
    };
    const out = withBinaryData(json, Buffer.from([1, 2, 3, 4, 5])) as typeof json;
    expect(out.id).toBe('r1');
    expect(out.inputs).toEqual([
      { ...json.inputs[0], data_base64: Buffer.from([1, 2]).toString('base64') },
      json.inputs[1],
      { ...json.inputs[2], data_base64: Buffer.from([3, 4, 5]).toString('base64') },
    ]);
  });

  it('returns a header whose sizes run past the binary part as it is', () => {
    const json = { inputs: [{ name: 'a', parameters: { binary_data_size: 9 } }] };
    expect(withBinaryData(json, Buffer.from([1, 2]))).toBe(json);
  });

  it('returns what is not a V2 request body as it is', () => {
    expect(withBinaryData([1, 2], Buffer.alloc(0))).toEqual([1, 2]);
    expect(withBinaryData({ instances: [] }, Buffer.alloc(0))).toEqual({ instances: [] });
  });
});
