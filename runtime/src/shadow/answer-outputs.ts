import { PREDICTIONS, type ComparedOutputs, type ComparedTensor } from './compared-outputs.js';

/** The inference protocols whose answers can be compared: the routes a stable pod mirrors. */
export type MirroredProtocol = 'predict' | 'v1' | 'v2';

/** An answer as it went over the wire: the body, and for V2 binary answers the JSON length. */
export interface WireAnswer {
  /** A string when it is JSON text already (the stable pod's own answer as fastify sent it). */
  readonly body: Buffer | string;
  /** Inference-Header-Content-Length; undefined when the whole body is JSON. */
  readonly jsonLength: number | undefined;
}

/** Thrown when an answer is not in the form its protocol promises; a mirror counts it as `error`. */
export class UnreadableAnswer extends Error {}

/** Reads the outputs out of a predict, KServe V1 or V2 answer (V2 binary outputs included). */
export function answerOutputs(protocol: MirroredProtocol, answer: WireAnswer): ComparedOutputs {
  const { body, jsonLength } = answer;
  const whole = typeof body === 'string' || jsonLength === undefined;
  let json: unknown;
  try {
    json = JSON.parse(whole ? body.toString() : body.toString('utf8', 0, jsonLength));
  } catch (err) {
    throw new UnreadableAnswer(`the answer is not JSON: ${(err as Error).message.slice(0, 100)}`);
  }
  const binary = whole ? undefined : body.subarray(jsonLength);
  switch (protocol) {
    case 'predict':
      return predictOutputs(json);
    case 'v1':
      return v1Outputs(json);
    case 'v2':
      return v2Outputs(json, binary);
  }
}

function predictOutputs(json: unknown): ComparedOutputs {
  const outputs = field(json, 'outputs');
  if (!isRecord(outputs)) throw new UnreadableAnswer('predict answer without an outputs object');
  return new Map(Object.entries(outputs).map(([name, nested]) => [name, fromNested(nested)]));
}

/** One output: predictions are its rows; several: each prediction is an object of their rows. */
function v1Outputs(json: unknown): ComparedOutputs {
  const predictions = field(json, 'predictions');
  if (!Array.isArray(predictions)) throw new UnreadableAnswer('V1 answer without predictions');
  const first: unknown = predictions[0];
  if (!isRecord(first)) return new Map([[PREDICTIONS, fromNested(predictions)]]);
  const names = Object.keys(first);
  return new Map(
    names.map((name) => [
      name,
      fromNested(predictions.map((p: unknown) => (isRecord(p) ? p[name] : undefined))),
    ]),
  );
}

function v2Outputs(json: unknown, binary: Buffer | undefined): ComparedOutputs {
  const outputs = field(json, 'outputs');
  if (!Array.isArray(outputs)) throw new UnreadableAnswer('V2 answer without an outputs array');
  const result = new Map<string, ComparedTensor>();
  let offset = 0;
  for (const output of outputs as unknown[]) {
    const name = field(output, 'name');
    const shape = field(output, 'shape');
    if (typeof name !== 'string' || !isShape(shape))
      throw new UnreadableAnswer('V2 output without a name and shape');
    const size = field(field(output, 'parameters'), 'binary_data_size');
    if (typeof size === 'number') {
      if (binary === undefined || offset + size > binary.length)
        throw new UnreadableAnswer(`V2 output '${name}': binary data missing`);
      const datatype = String(field(output, 'datatype'));
      const values = binaryValues(datatype, binary.subarray(offset, offset + size));
      offset += size;
      result.set(name, { shape, values });
    } else {
      result.set(name, { shape, values: flatValues(field(output, 'data')) });
    }
  }
  return result;
}

/** Shape from the nesting (first element at each level), elements flattened in order. */
function fromNested(nested: unknown): ComparedTensor {
  const shape: number[] = [];
  let level: unknown = nested;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return { shape, values: flatValues(Array.isArray(nested) ? nested.flat(Infinity) : [nested]) };
}

/**
 * The elements in order. V2 JSON data is a flat array of numbers: read as such without the
 * copy that flat() makes (this runs for both answers of every copy on the main thread).
 */
function flatValues(data: unknown): Float64Array | readonly string[] {
  if (!Array.isArray(data)) throw new UnreadableAnswer('output data is not an array');
  const values = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== 'number') return nestedValues(data);
    values[i] = v;
  }
  return values;
}

/** Nested arrays, booleans, nulls (non-finite values) or text. */
function nestedValues(data: unknown[]): Float64Array | readonly string[] {
  const flat: unknown[] = data.flat(Infinity);
  if (flat.length > 0 && typeof flat[0] === 'string') return flat.map((v) => String(v));
  const values = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    values[i] = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : NaN;
  }
  return values;
}

const READERS: Record<string, [number, (view: DataView, at: number) => number]> = {
  BOOL: [1, (v, at) => v.getUint8(at)],
  UINT8: [1, (v, at) => v.getUint8(at)],
  INT8: [1, (v, at) => v.getInt8(at)],
  UINT16: [2, (v, at) => v.getUint16(at, true)],
  INT16: [2, (v, at) => v.getInt16(at, true)],
  UINT32: [4, (v, at) => v.getUint32(at, true)],
  INT32: [4, (v, at) => v.getInt32(at, true)],
  UINT64: [8, (v, at) => Number(v.getBigUint64(at, true))],
  INT64: [8, (v, at) => Number(v.getBigInt64(at, true))],
  FP32: [4, (v, at) => v.getFloat32(at, true)],
  FP64: [8, (v, at) => v.getFloat64(at, true)],
};

/** Little-endian tensor bytes (V2 binary data, gRPC raw contents) as doubles. */
export function binaryValues(datatype: string, bytes: Buffer): Float64Array {
  const reader = READERS[datatype];
  if (reader === undefined)
    throw new UnreadableAnswer(`binary output of datatype ${datatype} cannot be compared`);
  const [width, read] = reader;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float64Array(Math.floor(bytes.length / width));
  for (let i = 0; i < values.length; i++) values[i] = read(view, i * width);
  return values;
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((d) => typeof d === 'number');
}
