import { describe, expect, it } from 'vitest';
import { RandomIds } from './random-ids.js';

/** The last drawn trace id as hex, as the API shows it. */
const traceHex = (ids: RandomIds): string => Buffer.from(ids.traceBytes()).toString('hex');

const xorOfWords = (hex: string): number => {
  let x = 0;
  for (let i = 0; i < 32; i += 8) x = (x ^ Number.parseInt(hex.slice(i, i + 8), 16)) >>> 0;
  return x;
};

describe('RandomIds', () => {
  it('draws W3C trace ids (32 lowercase hex, not all zero) whose XOR it returns', () => {
    const ids = new RandomIds();
    // 2000 draws: several refills of the 4 KiB pool.
    for (let i = 0; i < 2000; i++) {
      const xor = ids.drawTrace();
      const hex = traceHex(ids);
      expect(hex).toMatch(/^[0-9a-f]{32}$/);
      expect(hex).not.toBe('0'.repeat(32));
      expect(xor).toBe(xorOfWords(hex));
    }
  });

  it('never hands out the same id twice, across pool refills and between trace and span ids', () => {
    const ids = new RandomIds();
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      ids.drawTrace();
      seen.add(traceHex(ids));
      const span = ids.spanHex();
      expect(span).toMatch(/^[0-9a-f]{16}$/);
      seen.add(span);
    }
    expect(seen.size).toBe(6000);
  });

  it('gives each generator its own bytes', () => {
    const a = new RandomIds();
    const b = new RandomIds();
    a.drawTrace();
    b.drawTrace();
    expect(traceHex(a)).not.toBe(traceHex(b));
  });

  it('copies a trace id’s bytes out of the pool, and draws span ids as two words', () => {
    const ids = new RandomIds();
    ids.drawTrace();
    const hex = traceHex(ids);
    const bytes = ids.traceBytes();
    const spans = new Set<string>();
    // 3000 span ids refill the pool several times under the copied bytes.
    for (let i = 0; i < 3000; i++) {
      ids.drawSpan();
      expect(ids.spanHigh | ids.spanLow).not.toBe(0);
      spans.add(`${ids.spanHigh}:${ids.spanLow}`);
    }
    expect(Buffer.from(bytes).toString('hex')).toBe(hex);
    expect(spans.size).toBe(3000);
  });
});
