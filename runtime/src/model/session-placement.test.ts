import { describe, expect, it } from 'vitest';
import { MAIN_THREAD_MAX_BATCH_MS, threadForBatchTime } from './session-placement.js';

describe('threadForBatchTime', () => {
  it('keeps a model whose full batch is cheap on the JavaScript thread', () => {
    expect(threadForBatchTime(0.11)).toBe('main'); // the tiny MLP, 32 rows
    expect(threadForBatchTime(MAIN_THREAD_MAX_BATCH_MS - 0.001)).toBe('main');
  });

  it('moves a model whose full batch blocks for a millisecond or more to the worker', () => {
    expect(threadForBatchTime(MAIN_THREAD_MAX_BATCH_MS)).toBe('worker');
    expect(threadForBatchTime(4.3)).toBe('worker'); // the heavy MLP, 32 rows
  });

  it('follows a threshold given by the caller', () => {
    expect(threadForBatchTime(4.3, 10)).toBe('main');
    expect(threadForBatchTime(0.11, 0)).toBe('worker');
  });
});
