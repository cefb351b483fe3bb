import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  ProtobufTraceSerializer,
  type IExportTraceServiceResponse,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { writeResource, writeScope, writeSpan } from './otlp-span-encoding.js';
import { ProtobufWriter } from './protobuf-writer.js';

/** An OTLP/protobuf ExportTraceServiceRequest body and the number of spans in it. */
export interface EncodedSpans {
  readonly bytes: Uint8Array;
  readonly spans: number;
}

/** Length-delimited wire type, and the schema_url field of ResourceSpans and ScopeSpans. */
const LEN = 2;
const SCHEMA_URL = 3;

/** Room for this many span bytes before a group's writer first grows (a server span is ~250). */
const FIRST_GROUP_BYTES = 64 * 1024;

/**
 * Spans encoded as they are added, grouped by resource and then scope (by identity, in the
 * order first seen, as the SDK's serializer groups them), so that a span object need not be
 * kept until its export: only its bytes are. finish() wraps the groups into the request,
 * byte for byte what the SDK's ProtobufTraceSerializer writes for the same spans, and starts
 * the batch over in the same buffers (see EncodingSpanProcessor on why they are kept).
 */
export class EncodedSpanBatch {
  spans = 0;
  private readonly groups = new Map<Resource, Map<InstrumentationScope, ProtobufWriter>>();

  add(span: ReadableSpan): void {
    let byScope = this.groups.get(span.resource);
    if (byScope === undefined) this.groups.set(span.resource, (byScope = new Map()));
    let writer = byScope.get(span.instrumentationScope);
    if (writer === undefined)
      byScope.set(span.instrumentationScope, (writer = new ProtobufWriter(FIRST_GROUP_BYTES)));
    writeSpan(writer, span);
    this.spans++;
  }

  /** About the size of the request finish() would write now (a little over). */
  requestBytes(): number {
    let size = 1024;
    for (const byScope of this.groups.values())
      for (const writer of byScope.values()) size += writer.pos + 64;
    return size;
  }

  /** The request's bytes, written into `w` from its start; the batch starts over. */
  finish(w: ProtobufWriter = new ProtobufWriter(this.requestBytes())): EncodedSpans {
    w.reset();
    for (const [resource, byScope] of this.groups)
      if (hasSpans(byScope)) writeResourceSpans(w, resource, byScope);
    const encoded = { bytes: w.finish(), spans: this.spans };
    for (const byScope of this.groups.values())
      for (const writer of byScope.values()) writer.reset();
    this.spans = 0;
    return encoded;
  }
}

/** A group kept from an earlier batch may have no spans in this one: it is left out. */
function hasSpans(byScope: ReadonlyMap<InstrumentationScope, ProtobufWriter>): boolean {
  for (const writer of byScope.values()) if (writer.pos > 0) return true;
  return false;
}

function writeResourceSpans(
  w: ProtobufWriter,
  resource: Resource,
  byScope: ReadonlyMap<InstrumentationScope, ProtobufWriter>,
): void {
  w.tag(1, LEN);
  const resourceSpans = w.begin();
  writeResource(w, resource);
  for (const [scope, spans] of byScope) {
    if (spans.pos === 0) continue;
    w.tag(2, LEN);
    const scopeSpans = w.begin();
    writeScope(w, scope);
    w.raw(spans.finish());
    if (scope.schemaUrl) {
      w.tag(SCHEMA_URL, LEN);
      w.string(scope.schemaUrl);
    }
    w.end(scopeSpans);
  }
  if (resource.schemaUrl) {
    w.tag(SCHEMA_URL, LEN);
    w.string(resource.schemaUrl);
  }
  w.end(resourceSpans);
}

export function encodeExportRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const batch = new EncodedSpanBatch();
  for (const span of spans) batch.add(span);
  return batch.finish().bytes;
}

/**
 * OTLP/protobuf ExportTraceServiceRequest bodies, byte for byte what the SDK's
 * ProtobufTraceSerializer writes for the same spans (a unit test compares them), in one pass
 * instead of two (the SDK sizes the whole request, then writes it) and with the hex ids
 * turned into bytes in place. Responses are read by the SDK's serializer. The runtime's own
 * export path encodes each span as it ends instead (encoding-span-processor.ts); this one
 * serves exporters handed whole lists of spans.
 */
export const otlpTraceSerializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined {
    return encodeExportRequest(spans);
  },
  deserializeResponse(data: Uint8Array): IExportTraceServiceResponse {
    return ProtobufTraceSerializer.deserializeResponse(data);
  },
};
