import { describe, expect, it } from 'vitest';
import { mergeConditions } from './conditions.js';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');

describe('mergeConditions', () => {
  it('keeps lastTransitionTime when only the reason or message changes', () => {
    const first = mergeConditions(
      undefined,
      [{ type: 'Ready', status: 'False', reason: 'A', message: 'a' }],
      1,
      t0,
    );
    const second = mergeConditions(
      first,
      [{ type: 'Ready', status: 'False', reason: 'B', message: 'b' }],
      2,
      t1,
    );
    expect(second[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'B',
      message: 'b',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 2,
    });
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = mergeConditions(
      undefined,
      [{ type: 'Ready', status: 'False', reason: 'A', message: '' }],
      1,
      t0,
    );
    const second = mergeConditions(
      first,
      [{ type: 'Ready', status: 'True', reason: 'A', message: '' }],
      1,
      t1,
    );
    expect(second[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('produces an identical list when nothing changed', () => {
    const desired = [
      { type: 'Ready' as const, status: 'True' as const, reason: 'Serving', message: 'ok' },
    ];
    const first = mergeConditions(undefined, desired, 3, t0);
    expect(mergeConditions(first, desired, 3, t1)).toEqual(first);
  });
});
