import type { SpanRecord } from './trace-tree.js';

interface JaegerTag {
  readonly key: string;
  readonly value: unknown;
}

interface JaegerReference {
  readonly refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  readonly traceID: string;
  readonly spanID: string;
}

interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly JaegerReference[];
  /** Microseconds since the epoch, and microseconds. */
  readonly startTime: number;
  readonly duration: number;
  readonly tags: readonly JaegerTag[];
}

interface JaegerTraces {
  readonly data: readonly {
    readonly spans: readonly JaegerSpan[];
    /** The resource of each process that sent spans, its attributes as tags. */
    readonly processes: Readonly<Record<string, { readonly tags: readonly JaegerTag[] }>>;
  }[];
}

async function traces(queryUrl: string, service: string): Promise<JaegerTraces['data']> {
  const url = `${queryUrl}/api/traces?service=${encodeURIComponent(service)}&limit=1000&lookback=1h`;
  const res = await fetch(url);
  if (res.status === 404 || res.status === 400) return [];
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as JaegerTraces).data;
}

/**
 * Every span of a service, through Jaeger's query HTTP API (the one its UI uses). Jaeger
 * stores the OTLP parent as a CHILD_OF reference and each link as FOLLOWS_FROM.
 */
export async function jaegerSpans(queryUrl: string, service: string): Promise<SpanRecord[]> {
  return (await traces(queryUrl, service)).flatMap((t) => t.spans).map(toRecord);
}

/** The resource attributes of a service's processes, as Jaeger keeps them (process tags). */
export async function jaegerProcessTags(
  queryUrl: string,
  service: string,
): Promise<Record<string, unknown>[]> {
  return (await traces(queryUrl, service)).flatMap((t) =>
    Object.values(t.processes).map((p) => Object.fromEntries(p.tags.map((g) => [g.key, g.value]))),
  );
}

function toRecord(span: JaegerSpan): SpanRecord {
  const parent = span.references.find((r) => r.refType === 'CHILD_OF');
  return {
    traceId: span.traceID,
    spanId: span.spanID,
    parentId: parent?.spanID,
    name: span.operationName,
    start: span.startTime,
    end: span.startTime + span.duration,
    attributes: Object.fromEntries(span.tags.map((t) => [t.key, t.value])),
    links: span.references
      .filter((r) => r.refType === 'FOLLOWS_FROM')
      .map((r) => ({ traceId: r.traceID, spanId: r.spanID })),
  };
}
