/**
 * The expected outputs the runtime's model scripts write next to each example model
 * (examples/models/<name>.golden.json), in Open Inference Protocol V2 tensor form.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { z } from 'zod';

const tensor = z.object({
  name: z.string(),
  shape: z.array(z.number().int()),
  datatype: z.string(),
  data: z.array(z.number()),
});
const goldenCase = z.object({
  name: z.string(),
  inputs: z.array(tensor),
  outputs: z.array(z.object({ name: z.string(), data: z.array(z.number()) })),
  tolerance: z.number(),
});
export type GoldenCase = z.infer<typeof goldenCase>;
export type GoldenTensor = z.infer<typeof tensor>;

export function loadGolden(path: string): GoldenCase[] {
  return z
    .array(goldenCase)
    .min(1)
    .parse(JSON.parse(readFileSync(path, 'utf8')));
}

/** `data` as nested arrays of `shape`, the form POST /predict takes. */
export function nest(data: readonly number[], shape: readonly number[]): unknown {
  const [first, ...rest] = shape;
  if (first === undefined) return data[0];
  if (rest.length === 0) return data.slice(0, first);
  const stride = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first }, (_, i) =>
    nest(data.slice(i * stride, (i + 1) * stride), rest),
  );
}

export function expectClose(
  actual: readonly number[],
  expected: readonly number[],
  tolerance: number,
): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - (expected[i] ?? Number.NaN))));
  expect(
    worst,
    `largest deviation from the golden output (tolerance ${tolerance})`,
  ).toBeLessThanOrEqual(tolerance);
}
