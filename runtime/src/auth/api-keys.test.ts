import { describe, expect, it } from 'vitest';
import { ApiKeyVerifier } from './api-keys.js';

describe('ApiKeyVerifier', () => {
  it('accepts exactly the configured keys', () => {
    const v = new ApiKeyVerifier(['alpha', 'beta-key']);
    expect(v.matches('alpha')).toBe(true);
    expect(v.matches('beta-key')).toBe(true);
    expect(v.matches('alph')).toBe(false);
    expect(v.matches('alpha ')).toBe(false);
    expect(v.matches('')).toBe(false);
    expect(v.matches('x'.repeat(10_000))).toBe(false);
  });
});
