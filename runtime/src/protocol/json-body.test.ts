import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, parseJsonBody } from './json-body.js';

const nested = (levels: number): Buffer =>
  Buffer.from(`${'['.repeat(levels)}1${']'.repeat(levels)}`);

describe('parseJsonBody depth check', () => {
  it(`parses ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(parseJsonBody(nested(MAX_JSON_DEPTH), 'the body')).toBeInstanceOf(Array);
    expect(() => parseJsonBody(nested(MAX_JSON_DEPTH + 1), 'the body')).toThrow(
      `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`,
    );
  });

  it('parses many shallow arrays (more openings than the depth limit, none deep)', () => {
    const rows = Array.from({ length: 3 * MAX_JSON_DEPTH }, (_, i) => [i, i + 1]);
    const body = Buffer.from(JSON.stringify({ inputs: [{ data: rows }] }));
    expect(parseJsonBody(body, 'the body')).toEqual({ inputs: [{ data: rows }] });
  });

  it('does not count brackets inside strings as nesting', () => {
    const text = `${'['.repeat(MAX_JSON_DEPTH + 10)}"x`;
    const body = Buffer.from(JSON.stringify({ id: text, inputs: [] }));
    expect(parseJsonBody(body, 'the body')).toEqual({ id: text, inputs: [] });
  });

  it('finds objects nested too deep among arrays', () => {
    const half = MAX_JSON_DEPTH / 2 + 1;
    const body = Buffer.from(`${'[{"a":'.repeat(half)}1${'}]'.repeat(half)}`);
    expect(() => parseJsonBody(body, 'the body')).toThrow(/deeper than/);
  });
});
