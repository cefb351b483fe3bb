import type { ComparedOutputs, ComparedTensor } from './compared-outputs.js';

/** Why two answers disagree, worst first: the metric label of modeldeploy_shadow_disagreed_total. */
export type Disagreement = 'shape' | 'argmax' | 'value';

export type Verdict =
  | { readonly agree: true; readonly maxAbsDiff: number }
  | {
      readonly agree: false;
      readonly reason: Disagreement;
      readonly maxAbsDiff: number;
      /** Which output and where, for the debug log line. */
      readonly detail: string;
    };

/**
 * Compares the shadow's answer with the one the user got. Output names and shapes must
 * match (else `shape`). Elements agree when no absolute difference exceeds `tolerance`;
 * when one does, an output that looks like class scores (rank ≥ 2, last axis ≥ 2) whose
 * per-row argmax moved gives `argmax` (the answer a classifier's user acts on changed),
 * otherwise `value`. An argmax that moves between near-equal scores while every difference
 * is within the tolerance is not a disagreement: the tolerance says such noise is expected.
 */
export function compareOutputs(
  served: ComparedOutputs,
  shadow: ComparedOutputs,
  tolerance: number,
): Verdict {
  const shapeProblem = compareShapes(served, shadow);
  if (shapeProblem !== undefined)
    return { agree: false, reason: 'shape', maxAbsDiff: Infinity, detail: shapeProblem };
  let maxAbsDiff = 0;
  let worst = '';
  for (const [name, ours] of served) {
    const diff = maxDifference(ours, shadow.get(name) as ComparedTensor);
    if (diff > maxAbsDiff || (Number.isNaN(diff) && !Number.isNaN(maxAbsDiff))) {
      maxAbsDiff = diff;
      worst = name;
    }
  }
  if (!(maxAbsDiff > tolerance) && !Number.isNaN(maxAbsDiff)) return { agree: true, maxAbsDiff };
  for (const [name, ours] of served) {
    const row = movedArgmaxRow(ours, shadow.get(name) as ComparedTensor);
    if (row !== undefined)
      return { agree: false, reason: 'argmax', maxAbsDiff, detail: `${name}: row ${row}` };
  }
  return {
    agree: false,
    reason: 'value',
    maxAbsDiff,
    detail: `${worst}: max abs difference ${maxAbsDiff} > tolerance ${tolerance}`,
  };
}

function compareShapes(served: ComparedOutputs, shadow: ComparedOutputs): string | undefined {
  const ourNames = [...served.keys()].sort();
  const theirNames = [...shadow.keys()].sort();
  if (ourNames.join('\0') !== theirNames.join('\0'))
    return `outputs [${ourNames.join(', ')}] vs shadow [${theirNames.join(', ')}]`;
  for (const [name, ours] of served) {
    const theirs = shadow.get(name) as ComparedTensor;
    const sameShape =
      ours.shape.length === theirs.shape.length &&
      ours.shape.every((d, i) => d === theirs.shape[i]);
    if (!sameShape || ours.values.length !== theirs.values.length)
      return `${name}: shape [${ours.shape.join(',')}] vs shadow [${theirs.shape.join(',')}]`;
    if (typeof ours.values[0] !== typeof theirs.values[0] && ours.values.length > 0)
      return `${name}: numbers vs text`;
  }
  return undefined;
}

/** Largest |a − b|; NaN against NaN is equal, NaN against a number is Infinity; text is 0 or Infinity. */
function maxDifference(a: ComparedTensor, b: ComparedTensor): number {
  if (!(a.values instanceof Float64Array) || !(b.values instanceof Float64Array)) {
    const equal = a.values.every((v, i) => v === b.values[i]);
    return equal ? 0 : Infinity;
  }
  let max = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i] as number;
    const y = b.values[i] as number;
    const xNaN = Number.isNaN(x);
    if (xNaN || Number.isNaN(y)) {
      if (xNaN !== Number.isNaN(y)) return Infinity;
      continue;
    }
    // Infinity - Infinity is NaN: equal infinities agree.
    const d = x === y ? 0 : Math.abs(x - y);
    if (d > max) max = d;
  }
  return max;
}

/** The first row whose argmax over the last axis differs, for outputs shaped like class scores. */
function movedArgmaxRow(a: ComparedTensor, b: ComparedTensor): number | undefined {
  const classes = a.shape[a.shape.length - 1] ?? 0;
  if (a.shape.length < 2 || classes < 2) return undefined;
  if (!(a.values instanceof Float64Array) || !(b.values instanceof Float64Array)) return undefined;
  const rows = a.values.length / classes;
  for (let r = 0; r < rows; r++) {
    if (argmax(a.values, r * classes, classes) !== argmax(b.values, r * classes, classes)) return r;
  }
  return undefined;
}

function argmax(values: Float64Array, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) {
    if ((values[start + i] as number) > (values[start + best] as number)) best = i;
  }
  return best;
}
