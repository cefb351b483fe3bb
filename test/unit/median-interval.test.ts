import { describe, expect, it } from 'vitest';
import { medianInterval } from '../../bench/lib/median-interval.js';

describe('medianInterval', () => {
  it('takes the ranks the sign test gives: 7th and 18th of 24 at 95 %', () => {
    const values = Array.from({ length: 24 }, (_, i) => 24 - i); // 24 … 1, unsorted order
    const interval = medianInterval(values);
    expect(interval?.low).toBe(7);
    expect(interval?.high).toBe(18);
    // P(X ≤ 6) for Binomial(24, ½) is 0.0113, so the coverage is 1 − 2 · 0.0113.
    expect(interval?.level).toBeCloseTo(0.9773, 3);
  });

  it('needs six values for 95 %, and gives the extremes there', () => {
    expect(medianInterval([1, 2, 3, 4, 5])).toBeUndefined();
    expect(medianInterval([6, 1, 5, 2, 4, 3])).toEqual({ low: 1, high: 6, level: 0.96875 });
  });

  it('narrows as values are added: 48 values, ranks 17 and 32', () => {
    const values = Array.from({ length: 48 }, (_, i) => i + 1);
    const interval = medianInterval(values);
    expect([interval?.low, interval?.high]).toEqual([17, 32]);
    expect(interval?.level).toBeGreaterThanOrEqual(0.95);
  });
});
