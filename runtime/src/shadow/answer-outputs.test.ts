import { describe, expect, it } from 'vitest';
import { answerOutputs, UnreadableAnswer, type WireAnswer } from './answer-outputs.js';

const json = (value: unknown): WireAnswer => ({
  body: Buffer.from(JSON.stringify(value)),
  jsonLength: undefined,
});

function plain(outputs: ReturnType<typeof answerOutputs>): Record<string, unknown> {
  return Object.fromEntries(
    [...outputs].map(([name, t]) => [name, { shape: t.shape, values: [...t.values] }]),
  );
}

describe('answerOutputs', () => {
  it('reads predict outputs, null standing for a non-finite value', () => {
    const answer = json({
      model_name: 'm',
      outputs: {
        y: [
          [1, null],
          [3, 4],
        ],
        z: [[true]],
      },
    });
    expect(plain(answerOutputs('predict', answer))).toEqual({
      y: { shape: [2, 2], values: [1, NaN, 3, 4] },
      z: { shape: [1, 1], values: [1] },
    });
  });

  it('reads V1 predictions of one output and of several', () => {
    expect(
      plain(
        answerOutputs(
          'v1',
          json({
            predictions: [
              [1, 2],
              [3, 4],
            ],
          }),
        ),
      ),
    ).toEqual({
      predictions: { shape: [2, 2], values: [1, 2, 3, 4] },
    });
    const several = json({
      predictions: [
        { a: [1], b: 'x' },
        { a: [2], b: 'y' },
      ],
    });
    expect(plain(answerOutputs('v1', several))).toEqual({
      a: { shape: [2, 1], values: [1, 2] },
      b: { shape: [2], values: ['x', 'y'] },
    });
  });

  it('reads V2 JSON and binary outputs', () => {
    const header = JSON.stringify({
      outputs: [
        { name: 'j', datatype: 'INT64', shape: [2], data: [5, 6] },
        { name: 'b', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } },
      ],
    });
    const floats = Buffer.from(new Float32Array([0.5, -2]).buffer);
    const answer = {
      body: Buffer.concat([Buffer.from(header), floats]),
      jsonLength: header.length,
    };
    expect(plain(answerOutputs('v2', answer))).toEqual({
      j: { shape: [2], values: [5, 6] },
      b: { shape: [1, 2], values: [0.5, -2] },
    });
  });

  it('refuses answers that are not in their protocol form', () => {
    expect(() => answerOutputs('v2', json({ error: 'no' }))).toThrow(UnreadableAnswer);
    expect(() =>
      answerOutputs('predict', { body: Buffer.from('<html>'), jsonLength: undefined }),
    ).toThrow(UnreadableAnswer);
    const header = JSON.stringify({
      outputs: [{ name: 'b', datatype: 'FP32', shape: [4], parameters: { binary_data_size: 16 } }],
    });
    expect(() =>
      answerOutputs('v2', { body: Buffer.from(header), jsonLength: header.length }),
    ).toThrow(/binary data missing/);
  });

  it('reads V2 JSON data from JSON text as fastify sends it: numbers, a null after numbers, booleans, text and nested rows', () => {
    const outputs = [
      { name: 'p', datatype: 'FP32', shape: [1, 3], data: [0.25, 0.5, 0.25] },
      { name: 'n', datatype: 'FP32', shape: [3], data: [1, 2, null] },
      { name: 'b', datatype: 'BOOL', shape: [2], data: [true, false] },
      { name: 's', datatype: 'BYTES', shape: [1], data: ['cat'] },
      { name: 'r', datatype: 'FP32', shape: [2, 1], data: [[1], [2]] },
    ];
    const answer = { body: JSON.stringify({ model_name: 'm', outputs }), jsonLength: undefined };
    expect(plain(answerOutputs('v2', answer))).toEqual({
      p: { shape: [1, 3], values: [0.25, 0.5, 0.25] },
      n: { shape: [3], values: [1, 2, NaN] },
      b: { shape: [2], values: [1, 0] },
      s: { shape: [1], values: ['cat'] },
      r: { shape: [2, 1], values: [1, 2] },
    });
  });
});
