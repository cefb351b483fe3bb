import { describe, expect, it } from 'vitest';
import { UnreadableAnswer } from '../shadow/answer-outputs.js';
import { servedOutputs } from './served-outputs.js';

describe('servedOutputs', () => {
  it('reads raw output bytes by datatype', () => {
    const outputs = servedOutputs({
      model_name: 'm',
      model_version: '1',
      id: 'x',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }],
      raw_output_contents: [Buffer.from(new Float32Array([0.5, NaN]).buffer)],
    });
    const y = outputs.get('y')!;
    expect(y.shape).toEqual([1, 2]);
    expect(Array.from(y.values as Float64Array)).toEqual([0.5, NaN]);
  });

  it('reads typed contents: numbers, booleans and int64 as decimal text', () => {
    const outputs = servedOutputs({
      model_name: 'm',
      model_version: '1',
      id: 'x',
      outputs: [
        { name: 'f', datatype: 'FP32', shape: [2], contents: { fp32_contents: [1, 2] } },
        { name: 'b', datatype: 'BOOL', shape: [2], contents: { bool_contents: [true, false] } },
        { name: 'i', datatype: 'INT64', shape: [1], contents: { int64_contents: ['-7'] } },
      ],
      raw_output_contents: [],
    });
    expect(Array.from(outputs.get('f')!.values as Float64Array)).toEqual([1, 2]);
    expect(Array.from(outputs.get('b')!.values as Float64Array)).toEqual([1, 0]);
    expect(Array.from(outputs.get('i')!.values as Float64Array)).toEqual([-7]);
  });

  it('refuses contents that do not fill the shape', () => {
    expect(() =>
      servedOutputs({
        model_name: 'm',
        model_version: '1',
        id: 'x',
        outputs: [{ name: 'f', datatype: 'FP32', shape: [3], contents: { fp32_contents: [1] } }],
        raw_output_contents: [],
      }),
    ).toThrow(UnreadableAnswer);
  });
});
