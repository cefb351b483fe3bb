import { describe, expect, it } from 'vitest';
import { EncodedAttributes, isCacheable } from './encoded-attributes.js';

const BYTES = Uint8Array.of(0x4a, 0x01, 0x00);

describe('EncodedAttributes', () => {
  it('gives back what it kept, by field, key and value', () => {
    const kept = new EncodedAttributes();
    kept.keep(9, 'model.name', 'tiny', BYTES);
    expect(kept.get(9, 'model.name', 'tiny')).toBe(BYTES);
    expect(kept.get(4, 'model.name', 'tiny')).toBeUndefined();
    expect(kept.get(9, 'model.name', 'other')).toBeUndefined();
    // 1 and '1' and true encode differently; a Map tells them apart.
    kept.keep(9, 'rows', 1, BYTES);
    expect(kept.get(9, 'rows', '1')).toBeUndefined();
    expect(kept.get(9, 'rows', true)).toBeUndefined();
  });

  it('stops keeping a key that shows more distinct values than it keeps', () => {
    const kept = new EncodedAttributes();
    for (let i = 0; i < 64; i++) kept.keep(9, 'request.id', `id-${i}`, BYTES);
    expect(kept.get(9, 'request.id', 'id-63')).toBe(BYTES);
    kept.keep(9, 'request.id', 'id-64', BYTES);
    expect(kept.get(9, 'request.id', 'id-0')).toBeUndefined();
    kept.keep(9, 'request.id', 'id-0', BYTES);
    expect(kept.get(9, 'request.id', 'id-0')).toBeUndefined();
  });

  it('keeps at most 256 keys per field', () => {
    const kept = new EncodedAttributes();
    for (let i = 0; i < 257; i++) kept.keep(9, `key-${i}`, 'v', BYTES);
    expect(kept.get(9, 'key-255', 'v')).toBe(BYTES);
    expect(kept.get(9, 'key-256', 'v')).toBeUndefined();
  });
});

describe('isCacheable', () => {
  it('takes short strings, safe integers and booleans only', () => {
    expect(isCacheable('POST')).toBe(true);
    expect(isCacheable('x'.repeat(257))).toBe(false);
    expect(isCacheable(200)).toBe(true);
    expect(isCacheable(0.25)).toBe(false);
    expect(isCacheable(2 ** 60)).toBe(false);
    expect(isCacheable(false)).toBe(true);
    expect(isCacheable(['a'])).toBe(false);
  });
});
