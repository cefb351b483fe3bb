import { describe, expect, it } from 'vitest';
import type { InferTensorContents, ModelInferRequest } from './messages.js';
import { restCopyOf } from './rest-copy.js';

const EMPTY: InferTensorContents = {
  bool_contents: [],
  int_contents: [],
  int64_contents: [],
  uint_contents: [],
  uint64_contents: [],
  fp32_contents: [],
  fp64_contents: [],
  bytes_contents: [],
};

function request(overrides: Partial<ModelInferRequest>): ModelInferRequest {
  return {
    model_name: 'm',
    model_version: '',
    id: '',
    parameters: {},
    inputs: [],
    outputs: [],
    raw_input_contents: [],
    ...overrides,
  };
}

describe('restCopyOf', () => {
  it('turns typed contents into JSON data and keeps the id and requested outputs', () => {
    const copy = restCopyOf(
      request({
        id: 'r-1',
        inputs: [
          {
            name: 'a',
            datatype: 'INT64',
            shape: [2],
            parameters: {},
            contents: { ...EMPTY, int64_contents: [1, 2] },
          },
          {
            name: 'b',
            datatype: 'BOOL',
            shape: [1],
            parameters: {},
            contents: { ...EMPTY, bool_contents: [true] },
          },
        ],
        outputs: [{ name: 'y', parameters: {} }],
      }),
    );
    expect(copy.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(copy.body.toString())).toEqual({
      id: 'r-1',
      inputs: [
        { name: 'a', datatype: 'INT64', shape: [2], data: [1, 2] },
        { name: 'b', datatype: 'BOOL', shape: [1], data: [true] },
      ],
      outputs: [{ name: 'y' }],
    });
  });

  it('sends raw_input_contents as V2 binary tensor data, byte for byte and in order', () => {
    const a = Buffer.from(new Float32Array([NaN, 1.5]).buffer);
    const b = Buffer.from([1, 2, 3]);
    const copy = restCopyOf(
      request({
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2], parameters: {}, contents: null },
          { name: 'b', datatype: 'UINT8', shape: [3], parameters: {}, contents: null },
        ],
        raw_input_contents: [a, b],
      }),
    );
    const length = Number(copy.headers['inference-header-content-length']);
    expect(copy.headers['content-type']).toBe('application/octet-stream');
    expect(JSON.parse(copy.body.subarray(0, length).toString())).toEqual({
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2], parameters: { binary_data_size: 8 } },
        { name: 'b', datatype: 'UINT8', shape: [3], parameters: { binary_data_size: 3 } },
      ],
    });
    expect(copy.body.subarray(length).equals(Buffer.concat([a, b]))).toBe(true);
  });
});
