import { describe, expect, it } from 'vitest';
import { compareOutputs } from './compare.js';
import type { ComparedOutputs } from './compared-outputs.js';

function outputs(entries: Record<string, [number[], number[] | string[]]>): ComparedOutputs {
  return new Map(
    Object.entries(entries).map(([name, [shape, values]]) => [
      name,
      {
        shape,
        values:
          typeof values[0] === 'string'
            ? (values as string[])
            : Float64Array.from(values as number[]),
      },
    ]),
  );
}

const scores = (values: number[]): ComparedOutputs => outputs({ output: [[2, 3], values] });

describe('compareOutputs', () => {
  it('agrees on equal answers', () => {
    const a = scores([0.1, 0.7, 0.2, 0.5, 0.3, 0.2]);
    expect(compareOutputs(a, a, 0)).toEqual({ agree: true, maxAbsDiff: 0 });
  });

  it('agrees within the tolerance, even where a near-tie flips the argmax', () => {
    const ours = scores([0.5, 0.50001, 0.2, 0.5, 0.3, 0.2]);
    const theirs = scores([0.50002, 0.5, 0.2, 0.5, 0.3, 0.2]);
    const verdict = compareOutputs(ours, theirs, 1e-4);
    expect(verdict.agree).toBe(true);
    expect(verdict.maxAbsDiff).toBeCloseTo(2e-5, 9);
  });

  it('says value when elements differ beyond the tolerance but every argmax holds', () => {
    const verdict = compareOutputs(
      scores([0.1, 0.7, 0.2, 0.5, 0.3, 0.2]),
      scores([0.1, 0.9, 0.2, 0.5, 0.3, 0.2]),
      0.01,
    );
    expect(verdict).toMatchObject({ agree: false, reason: 'value' });
    expect(verdict.maxAbsDiff).toBeCloseTo(0.2, 9);
  });

  it('says argmax when a row picks another class', () => {
    const verdict = compareOutputs(
      scores([0.1, 0.7, 0.2, 0.5, 0.3, 0.2]),
      scores([0.1, 0.7, 0.2, 0.2, 0.3, 0.5]),
      0.01,
    );
    expect(verdict).toMatchObject({ agree: false, reason: 'argmax', detail: 'output: row 1' });
  });

  it('says value, not argmax, for outputs that are not class scores', () => {
    const verdict = compareOutputs(
      outputs({
        score: [
          [2, 1],
          [0.1, 0.2],
        ],
      }),
      outputs({
        score: [
          [2, 1],
          [0.3, 0.2],
        ],
      }),
      0.01,
    );
    expect(verdict).toMatchObject({ agree: false, reason: 'value' });
  });

  it('says shape for another shape, other output names or numbers against text', () => {
    const base = scores([1, 2, 3, 4, 5, 6]);
    expect(
      compareOutputs(
        base,
        outputs({
          output: [
            [3, 2],
            [1, 2, 3, 4, 5, 6],
          ],
        }),
        1,
      ),
    ).toMatchObject({ reason: 'shape' });
    expect(
      compareOutputs(
        base,
        outputs({
          logits: [
            [2, 3],
            [1, 2, 3, 4, 5, 6],
          ],
        }),
        1,
      ),
    ).toMatchObject({ reason: 'shape' });
    expect(
      compareOutputs(outputs({ label: [[1], ['cat']] }), outputs({ label: [[1], [1]] }), 1),
    ).toMatchObject({ reason: 'shape' });
  });

  it('treats NaN as equal to NaN and different from any number', () => {
    const withNaN = outputs({ y: [[2], [NaN, 1]] });
    expect(compareOutputs(withNaN, outputs({ y: [[2], [NaN, 1]] }), 0).agree).toBe(true);
    expect(compareOutputs(withNaN, outputs({ y: [[2], [0, 1]] }), 1e9)).toMatchObject({
      reason: 'value',
      maxAbsDiff: Infinity,
    });
  });

  it('compares text exactly', () => {
    const cat = outputs({ label: [[1], ['cat']] });
    expect(compareOutputs(cat, outputs({ label: [[1], ['cat']] }), 0).agree).toBe(true);
    expect(compareOutputs(cat, outputs({ label: [[1], ['dog']] }), 1e9)).toMatchObject({
      reason: 'value',
    });
  });
});
