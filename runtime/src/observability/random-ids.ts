import { randomFillSync } from 'node:crypto';
import { wordHex } from './hex-digits.js';

/** Bytes drawn from the CSPRNG at a time: 256 trace ids, or 512 span ids. */
const POOL_BYTES = 4096;

/**
 * Trace and span ids from a pool of random bytes refilled by node's CSPRNG, each byte used
 * once. The ids are as random as W3C Trace Context asks (128 and 64 uniformly random bits,
 * never all zero; "random" in Level 2's sense, not a counter), and more so than the SDK's
 * RandomIdGenerator, which uses Math.random: one randomFillSync per 4 KiB costs less than
 * four Math.random calls per id. The point of the pool is that a trace id can be decided on
 * before it is a string: `drawTrace()` returns the 32-bit XOR the ratio samplers compare,
 * and only a sampled request pays for its id, kept as bytes (recorded-span-context.ts).
 */
export class RandomIds {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  /** Big-endian words, as the hex reads (DataView reads compile to plain loads). */
  private readonly words = new DataView(this.pool.buffer, this.pool.byteOffset, POOL_BYTES);
  private at = POOL_BYTES;
  /** Where the last drawTrace() took its 16 bytes. */
  private traceAt = 0;
  /** The last drawSpan()'s id, as two 32-bit words. */
  spanHigh = 0;
  spanLow = 0;

  /**
   * Draws a new trace id and returns the XOR of its four big-endian 32-bit words, the number
   * OpenTelemetry's TraceIdRatioBased sampler compares with its bound (trace-id-ratio.ts).
   * The id itself is traceBytes(), valid until the next draw.
   */
  drawTrace(): number {
    for (;;) {
      const at = this.take(16);
      const w = this.words;
      const a = w.getUint32(at);
      const b = w.getUint32(at + 4);
      const c = w.getUint32(at + 8);
      const d = w.getUint32(at + 12);
      // An all-zero id is invalid (W3C); one in 2^128 draws, so just draw again.
      if ((a | b | c | d) === 0) continue;
      this.traceAt = at;
      return (a ^ b ^ c ^ d) >>> 0;
    }
  }

  /** The last drawn trace id's 16 bytes, copied (the pool is refilled under them). */
  traceBytes(): Uint8Array {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = this.pool[this.traceAt + i] as number;
    return bytes;
  }

  /** Draws a new span id, not all zero, into spanHigh and spanLow (its big-endian halves). */
  drawSpan(): void {
    for (;;) {
      const at = this.take(8);
      this.spanHigh = this.words.getUint32(at);
      this.spanLow = this.words.getUint32(at + 4);
      if ((this.spanHigh | this.spanLow) !== 0) return;
    }
  }

  /** A new span id: 16 lowercase hex digits, not all zero. */
  spanHex(): string {
    this.drawSpan();
    return wordHex(this.spanHigh) + wordHex(this.spanLow);
  }

  private take(bytes: number): number {
    if (this.at + bytes > POOL_BYTES) {
      randomFillSync(this.pool);
      this.at = 0;
    }
    const at = this.at;
    this.at += bytes;
    return at;
  }
}
