/**
 * The OTLP/protobuf messages of one span and of its resource and scope (opentelemetry-proto
 * trace/v1, common/v1), written the way the SDK's ProtobufTraceSerializer writes them: a unit
 * test compares the bytes. encoded-span-batch.ts puts them together into export requests.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { writeAttributes } from './otlp-common-encoding.js';
import type { ProtobufWriter } from './protobuf-writer.js';
import { RecordedSpanContext } from './recorded-span-context.js';

/** Field numbers and wire types used below (opentelemetry-proto trace/v1, common/v1). */
const LEN = 2;
const VARINT = 0;
const I64 = 1;
const I32 = 5;

/** W3C flags in the low byte; "has is_remote" and "is remote" as OTLP 1.1 defines them. */
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** A ResourceSpans' `resource` field. */
export function writeResource(w: ProtobufWriter, resource: Resource): void {
  w.tag(1, LEN);
  const at = w.begin();
  writeAttributes(w, resource.attributes, 1);
  w.tag(2, VARINT);
  w.varint(0);
  w.end(at);
}

/** A ScopeSpans' `scope` field. */
export function writeScope(w: ProtobufWriter, scope: InstrumentationScope): void {
  w.tag(1, LEN);
  const at = w.begin();
  w.tag(1, LEN);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, LEN);
    w.string(scope.version);
  }
  // Not in InstrumentationScope's type; the SDK's serializer writes them when a scope has them.
  const extra = scope as { attributes?: Attributes; droppedAttributesCount?: number };
  if (extra.attributes) writeAttributes(w, extra.attributes, 3);
  if (extra.droppedAttributesCount) {
    w.tag(4, VARINT);
    w.varint(extra.droppedAttributesCount);
  }
  w.end(at);
}

/** One `spans` entry of a ScopeSpans (field 2), the span's whole message. */
export function writeSpan(w: ProtobufWriter, span: ReadableSpan): void {
  w.tag(2, LEN);
  const at = w.begin();
  const context = span.spanContext();
  writeIds(w, context);
  const parent = span.parentSpanContext;
  if (parent instanceof RecordedSpanContext) {
    w.tag(4, LEN);
    w.id64(parent.spanHigh, parent.spanLow);
  } else if (parent?.spanId) {
    w.tag(4, LEN);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, LEN);
  w.string(span.name);
  // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
  w.tag(6, VARINT);
  w.varint(span.kind + 1);
  w.tag(7, I64);
  writeTime(w, span.startTime);
  w.tag(8, I64);
  writeTime(w, span.endTime);
  writeAttributes(w, span.attributes, 9);
  w.tag(10, VARINT);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) writeEvent(w, event);
  w.tag(12, VARINT);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) writeLink(w, link);
  w.tag(14, VARINT);
  w.varint(span.droppedLinksCount);
  writeStatus(w, span.status);
  w.tag(16, I32);
  w.fixed32(flags(context.traceFlags, parent?.isRemote));
  w.end(at);
}

function writeEvent(w: ProtobufWriter, event: TimedEvent): void {
  w.tag(11, LEN);
  const at = w.begin();
  w.tag(1, I64);
  writeTime(w, event.time);
  w.tag(2, LEN);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  w.tag(4, VARINT);
  w.varint(event.droppedAttributesCount ?? 0);
  w.end(at);
}

/**
 * trace_id, span_id and trace_state: fields 1-3 of both Span and Span.Link. The runtime's
 * own spans carry their ids as bytes; other spans' hex is turned into bytes here.
 */
function writeIds(w: ProtobufWriter, context: SpanContext): void {
  if (context instanceof RecordedSpanContext) {
    w.tag(1, LEN);
    w.bytes(context.trace.bytes);
    w.tag(2, LEN);
    w.id64(context.spanHigh, context.spanLow);
  } else {
    w.tag(1, LEN);
    w.hexBytes(context.traceId);
    w.tag(2, LEN);
    w.hexBytes(context.spanId);
  }
  const traceState = context.traceState?.serialize();
  if (traceState) {
    w.tag(3, LEN);
    w.string(traceState);
  }
}

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote === true ? IS_REMOTE : 0);
}

function writeLink(w: ProtobufWriter, link: Link): void {
  w.tag(13, LEN);
  const at = w.begin();
  const context = link.context;
  writeIds(w, context);
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  w.tag(5, VARINT);
  w.varint(link.droppedAttributesCount ?? 0);
  w.tag(6, I32);
  w.fixed32(flags(context.traceFlags, context.isRemote));
  w.end(at);
}

function writeStatus(w: ProtobufWriter, status: SpanStatus): void {
  w.tag(15, LEN);
  const at = w.begin();
  if (status.message) {
    w.tag(2, LEN);
    w.string(status.message);
  }
  w.tag(3, VARINT);
  w.varint(status.code);
  w.end(at);
}

/**
 * Nanoseconds since the epoch as fixed64, exact though they pass 2^53: seconds · 10^9 is
 * (seconds · 5^9) · 2^9, and seconds · 5^9 is exact in a double until the year 2116.
 */
function writeTime(w: ProtobufWriter, time: HrTime): void {
  const [seconds, nanos] = time;
  const scaled = seconds * 1_953_125;
  if (scaled > Number.MAX_SAFE_INTEGER) {
    writeFarTime(w, time);
    return;
  }
  // The low 23 bits of `scaled`, shifted by 9, are the low word's; the rest the high word's.
  const low = (scaled % 8_388_608) * 512 + nanos;
  w.fixed64(low % 4294967296, Math.floor(scaled / 8_388_608) + Math.floor(low / 4294967296));
}

/** writeTime() past 2116: seconds split in 16-bit halves, each product exact in a double. */
function writeFarTime(w: ProtobufWriter, [seconds, nanos]: HrTime): void {
  const fromLow = (seconds & 0xffff) * 1e9;
  const fromHigh = Math.floor(seconds / 0x10000) * 1e9;
  const highPart = fromHigh % 0x10000;
  const low = (fromLow % 4294967296) + highPart * 0x10000 + nanos;
  const lowWord = low % 4294967296;
  const high =
    Math.floor(fromLow / 4294967296) +
    Math.floor(fromHigh / 0x10000) +
    Math.floor(low / 4294967296);
  w.fixed64(lowWord, high);
}
