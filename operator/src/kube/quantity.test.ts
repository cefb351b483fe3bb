import { describe, expect, it } from 'vitest';
import { parseQuantity, sameQuantity } from './quantity.js';

describe('resource quantities', () => {
  it('reads decimal, binary and exponent forms', () => {
    expect(parseQuantity('500m')).toBeCloseTo(0.5);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('1024Mi')).toBe(2 ** 30);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('1.5k')).toBe(1500);
    expect(parseQuantity(0.25)).toBe(0.25);
    expect(parseQuantity('lots')).toBeUndefined();
  });

  it('equates what the API server canonicalised with what was sent', () => {
    expect(sameQuantity('500m', '0.5')).toBe(true);
    expect(sameQuantity('1Gi', '1024Mi')).toBe(true);
    expect(sameQuantity('1G', '1Gi')).toBe(false);
    expect(sameQuantity('abc', 'abc')).toBe(false);
  });
});
