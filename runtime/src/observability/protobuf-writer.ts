import { nibble } from './hex-digits.js';

/**
 * A protobuf writer in one pass: each length-delimited field gets one byte for its length,
 * and its contents move along only when they turn out longer than 127 bytes. The SDK's OTLP
 * serializer writes everything twice (sizing, then writing); this writes once into a buffer
 * that doubles when full. Output is the canonical encoding (minimal varints), byte for byte
 * what the SDK's own writer produces for the same fields.
 */
export class ProtobufWriter {
  private buffer: Uint8Array;
  pos = 0;

  constructor(initialBytes: number) {
    this.buffer = new Uint8Array(Math.max(64, initialBytes));
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }

  /** A copy of the bytes from `from` to the end written so far. */
  copy(from: number): Uint8Array {
    return this.buffer.slice(from, this.pos);
  }

  /** Starts over in the same buffer: what finish() returned before is written over. */
  reset(): void {
    this.pos = 0;
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A non-negative integer below 2^53. */
  varint(value: number): void {
    this.room(10);
    const b = this.buffer;
    let v = value;
    while (v > 0x7fffffff) {
      b[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    while (v > 127) {
      b[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }

  /** A negative int64, two's complement over ten bytes, as protobuf encodes it. */
  negativeVarint(value: number): void {
    this.room(10);
    let low = value >>> 0;
    let high = Math.floor(value / 4294967296) >>> 0;
    for (let i = 0; i < 9; i++) {
      this.buffer[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.buffer[this.pos++] = low & 1;
  }

  fixed32(value: number): void {
    this.room(4);
    const b = this.buffer;
    b[this.pos++] = value & 255;
    b[this.pos++] = (value >>> 8) & 255;
    b[this.pos++] = (value >>> 16) & 255;
    b[this.pos++] = (value >>> 24) & 255;
  }

  fixed64(low: number, high: number): void {
    this.fixed32(low >>> 0);
    this.fixed32(high >>> 0);
  }

  double(value: number): void {
    this.room(8);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  string(text: string): void {
    const length = text.length;
    let ascii = true;
    for (let i = 0; i < length; i++) {
      if (text.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      this.bytes(Buffer.from(text, 'utf8'));
      return;
    }
    this.varint(length);
    this.room(length);
    const b = this.buffer;
    for (let i = 0; i < length; i++) b[this.pos++] = text.charCodeAt(i);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.room(data.length);
    this.buffer.set(data, this.pos);
    this.pos += data.length;
  }

  /** Bytes already encoded (whole fields), written as they are. */
  raw(data: Uint8Array): void {
    this.room(data.length);
    this.buffer.set(data, this.pos);
    this.pos += data.length;
  }

  /** An id given as lowercase or uppercase hex digits, written as its bytes. */
  hexBytes(hex: string): void {
    const length = hex.length >>> 1;
    this.varint(length);
    this.room(length);
    const b = this.buffer;
    for (let i = 0; i < length; i++)
      b[this.pos++] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
  }

  /** An 8-byte id given as its big-endian 32-bit halves, with its length. */
  id64(high: number, low: number): void {
    this.room(9);
    const b = this.buffer;
    b[this.pos++] = 8;
    b[this.pos++] = high >>> 24;
    b[this.pos++] = (high >>> 16) & 255;
    b[this.pos++] = (high >>> 8) & 255;
    b[this.pos++] = high & 255;
    b[this.pos++] = low >>> 24;
    b[this.pos++] = (low >>> 16) & 255;
    b[this.pos++] = (low >>> 8) & 255;
    b[this.pos++] = low & 255;
  }

  /** Starts a length-delimited field's contents; pass the result to end(). */
  begin(): number {
    this.room(1);
    return this.pos++;
  }

  /** Writes the length of the contents begun at `at`, moving them if it needs more bytes. */
  end(at: number): void {
    const length = this.pos - at - 1;
    if (length < 128) {
      this.buffer[at] = length;
      return;
    }
    const size = varintSize(length);
    this.room(size - 1);
    this.buffer.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let v = length;
    let p = at;
    while (v > 127) {
      this.buffer[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buffer[p] = v;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.pos));
    this.buffer = grown;
  }
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v > 127; v >>>= 7) size++;
  return size;
}
