import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type ModelKey = 'tiny' | 'heavy';

/** A benchmark model with its golden request: one fixed input and the expected output. */
export interface BenchModel {
  readonly key: ModelKey;
  /** The served name (our runtime derives it from the file name). */
  readonly name: string;
  readonly path: string;
  readonly inputName: string;
  readonly outputName: string;
  /** Input row width (the model's second dimension). */
  readonly width: number;
  /** Output row width. */
  readonly outputWidth: number;
  /** Golden input, row-major, `rows` × `width`. */
  readonly goldenInput: readonly number[];
  readonly goldenRows: number;
  /** Expected output for the golden input, row-major. */
  readonly goldenOutput: readonly number[];
  readonly tolerance: number;
}

interface GoldenFile {
  name: string;
  inputs: { name: string; shape: number[]; datatype: string; data: number[] }[];
  outputs: { name: string; data: number[] }[];
  tolerance: number;
}

export const MODEL_KEYS: readonly ModelKey[] = ['tiny', 'heavy'];

export async function loadBenchModel(key: ModelKey): Promise<BenchModel> {
  const name = key === 'tiny' ? 'mlp-tiny' : 'mlp-heavy';
  const dir = join(REPO_ROOT, 'examples', 'models');
  const golden = JSON.parse(await readFile(join(dir, `${name}.golden.json`), 'utf8')) as
    GoldenFile[] | undefined;
  const first = golden?.[0];
  const input = first?.inputs[0];
  const output = first?.outputs[0];
  if (first === undefined || input === undefined || output === undefined) {
    throw new Error(`examples/models/${name}.golden.json has no golden request`);
  }
  const [rows = 0, width = 0] = input.shape;
  return {
    key,
    name,
    path: join(dir, `${name}.onnx`),
    inputName: input.name,
    outputName: output.name,
    width,
    outputWidth: output.data.length / rows,
    goldenInput: input.data,
    goldenRows: rows,
    goldenOutput: output.data,
    tolerance: first.tolerance,
  };
}

/** `rows` rows of the golden input: its rows in order, repeated when more are asked for. */
export function goldenRows(model: BenchModel, rows: number): number[] {
  return cycledRows(model.goldenInput, model.width, model.goldenRows, rows);
}

/** The expected output for goldenRows(model, rows). */
export function expectedRows(model: BenchModel, rows: number): number[] {
  return cycledRows(model.goldenOutput, model.outputWidth, model.goldenRows, rows);
}

function cycledRows(data: readonly number[], width: number, have: number, rows: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const from = (r % have) * width;
    for (let i = 0; i < width; i++) out.push(data[from + i] as number);
  }
  return out;
}

/** An Open Inference Protocol V2 infer request body (ours and MLServer take the same). */
export function v2Body(model: BenchModel, rows: number): string {
  return JSON.stringify({
    inputs: [
      {
        name: model.inputName,
        shape: [rows, model.width],
        datatype: 'FP32',
        data: goldenRows(model, rows),
      },
    ],
  });
}

/**
 * The same request with the V2 binary tensor data extension (what tritonclient sends): a JSON
 * header of Inference-Header-Content-Length bytes, then the rows as little-endian float32.
 */
export function v2BinaryBody(
  model: BenchModel,
  rows: number,
): { body: Uint8Array; headerLength: number } {
  const values = Float32Array.from(goldenRows(model, rows));
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: model.inputName,
          shape: [rows, model.width],
          datatype: 'FP32',
          parameters: { binary_data_size: values.byteLength },
        },
      ],
    }),
  );
  const data = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return { body: Buffer.concat([header, data]), headerLength: header.length };
}

/** Peer A's own body: {"inputs": [[…row…], …]}. */
export function rowsBody(model: BenchModel, rows: number): string {
  const flat = goldenRows(model, rows);
  const nested: number[][] = [];
  for (let r = 0; r < rows; r++) nested.push(flat.slice(r * model.width, (r + 1) * model.width));
  return JSON.stringify({ inputs: nested });
}

/** Undefined when every value is within tolerance, else what differs. */
export function compareOutput(
  got: readonly number[],
  expected: readonly number[],
  tolerance: number,
): string | undefined {
  if (got.length !== expected.length) {
    return `expected ${expected.length} values, got ${got.length}`;
  }
  for (let i = 0; i < got.length; i++) {
    const g = got[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(g - e) <= tolerance)) {
      return `value ${i}: got ${g}, expected ${e} (tolerance ${tolerance})`;
    }
  }
  return undefined;
}
