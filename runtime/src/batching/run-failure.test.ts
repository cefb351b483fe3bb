import { describe, expect, it } from 'vitest';
import { runFailure } from './run-failure.js';

const GATHER =
  "Non-zero status code returned while running Gather node. Name:'' Status Message: indices element out of data bounds, idx=100 must be within the inclusive range [-16,15]";

describe('runFailure', () => {
  it('blames the only input for an out-of-range index with a 400', () => {
    const error = runFailure(GATHER, ['ids']);
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(/^input 'ids' holds a value the model cannot take.*idx=100/);
  });

  it('names the input the message names, or lists them all', () => {
    expect(runFailure(`${GATHER} for 'mask'`, ['ids', 'mask']).message).toMatch(/^input 'mask'/);
    expect(runFailure(GATHER, ['ids', 'mask']).message).toMatch(
      /^one of the inputs 'ids', 'mask' holds/,
    );
  });

  it('is a 500 when onnxruntime does not blame the data', () => {
    const error = runFailure('the onnxruntime worker thread exited (code 1)', ['ids']);
    expect(error.statusCode).toBe(500);
    expect(error.message).toBe('inference failed: the onnxruntime worker thread exited (code 1)');
  });
});
