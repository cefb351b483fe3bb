import { TraceFlags, type SpanContext, type TraceState } from '@opentelemetry/api';
import { nibble, wordHex } from './hex-digits.js';

/**
 * A trace's id as its 16 bytes, shared by every span of the trace the runtime records. The
 * hex the API shows is made when first read: the OTLP encoder writes the bytes, so a trace
 * whose id no log line or payload record asks for never becomes a string.
 */
export class TraceIdentity {
  private hex: string | undefined;

  constructor(
    readonly bytes: Uint8Array,
    hex?: string,
  ) {
    this.hex = hex;
  }

  /** A caller's trace id (32 hex digits, validated by the propagator) as bytes. */
  static fromHex(hex: string): TraceIdentity {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++)
      bytes[i] = (nibble(hex.charCodeAt(2 * i)) << 4) | nibble(hex.charCodeAt(2 * i + 1));
    return new TraceIdentity(bytes, hex);
  }

  get id(): string {
    return (this.hex ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, 16).toString('hex'));
  }
}

/**
 * The span context of a span the runtime records: always sampled, never remote, its span id
 * held as two 32-bit words (big-endian halves) and its trace id as its trace's bytes. Making
 * the hex of both for every span, and parsing it back to bytes to encode it, was a quarter of
 * the tracing code's CPU per traced request (bench/observability/span-path.ts); now the hex
 * is made only if something reads `traceId` or `spanId` (a log line, the SDK's JSON exporter,
 * a span of other code started under ours).
 */
export class RecordedSpanContext implements SpanContext {
  readonly traceFlags: number = TraceFlags.SAMPLED;
  private spanHex: string | undefined;

  constructor(
    readonly trace: TraceIdentity,
    readonly spanHigh: number,
    readonly spanLow: number,
    readonly traceState: TraceState | undefined,
  ) {}

  get traceId(): string {
    return this.trace.id;
  }

  get spanId(): string {
    return (this.spanHex ??= wordHex(this.spanHigh) + wordHex(this.spanLow));
  }
}
