/**
 * Tensor element types: the Open Inference Protocol V2 names the API speaks, the
 * onnxruntime names the session reports, and the typed arrays that carry the data.
 */

export type V2Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP32'
  | 'FP64';

export type OrtNumericType =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** How a JSON element is checked and stored for one element type. */
export type ElementKind = 'float' | 'int' | 'bigint' | 'bool';

export interface DatatypeInfo {
  readonly v2: V2Datatype;
  readonly ort: OrtNumericType;
  readonly kind: ElementKind;
  /**
   * Inclusive range of values a JSON element may take: the integer range for integer kinds,
   * ±the largest finite value for float kinds (a double beyond FP32's range would become
   * Infinity when stored, so it is refused rather than silently rounded).
   */
  readonly min: number;
  readonly max: number;
  readonly allocate: (length: number) => TensorData;
}

/** The largest finite float32 value, (2 − 2⁻²³) × 2¹²⁷. */
export const FP32_MAX = 3.4028234663852886e38;

const INFO: readonly DatatypeInfo[] = [
  { v2: 'BOOL', ort: 'bool', kind: 'bool', min: 0, max: 1, allocate: (n) => new Uint8Array(n) },
  { v2: 'UINT8', ort: 'uint8', kind: 'int', min: 0, max: 255, allocate: (n) => new Uint8Array(n) },
  {
    v2: 'UINT16',
    ort: 'uint16',
    kind: 'int',
    min: 0,
    max: 65535,
    allocate: (n) => new Uint16Array(n),
  },
  {
    v2: 'UINT32',
    ort: 'uint32',
    kind: 'int',
    min: 0,
    max: 4294967295,
    allocate: (n) => new Uint32Array(n),
  },
  {
    v2: 'UINT64',
    ort: 'uint64',
    kind: 'bigint',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    allocate: (n) => new BigUint64Array(n),
  },
  { v2: 'INT8', ort: 'int8', kind: 'int', min: -128, max: 127, allocate: (n) => new Int8Array(n) },
  {
    v2: 'INT16',
    ort: 'int16',
    kind: 'int',
    min: -32768,
    max: 32767,
    allocate: (n) => new Int16Array(n),
  },
  {
    v2: 'INT32',
    ort: 'int32',
    kind: 'int',
    min: -2147483648,
    max: 2147483647,
    allocate: (n) => new Int32Array(n),
  },
  {
    v2: 'INT64',
    ort: 'int64',
    kind: 'bigint',
    min: Number.MIN_SAFE_INTEGER,
    max: Number.MAX_SAFE_INTEGER,
    allocate: (n) => new BigInt64Array(n),
  },
  {
    v2: 'FP32',
    ort: 'float32',
    kind: 'float',
    min: -FP32_MAX,
    max: FP32_MAX,
    allocate: (n) => new Float32Array(n),
  },
  {
    v2: 'FP64',
    ort: 'float64',
    kind: 'float',
    min: -Number.MAX_VALUE,
    max: Number.MAX_VALUE,
    allocate: (n) => new Float64Array(n),
  },
];

export const V2_DATATYPES: readonly V2Datatype[] = INFO.map((i) => i.v2);

/** Every name the V2 protocol defines, including the ones this runtime cannot serve. */
export const ALL_V2_DATATYPES = [...V2_DATATYPES, 'FP16', 'BF16', 'BYTES'] as const;

export function datatypeFromOrt(ort: string): DatatypeInfo | undefined {
  return INFO.find((i) => i.ort === ort);
}

export function datatypeFromV2(v2: string): DatatypeInfo | undefined {
  return INFO.find((i) => i.v2 === v2);
}
