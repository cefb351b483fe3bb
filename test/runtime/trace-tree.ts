import { expect } from 'vitest';

/** A finished span as both the SDK's in-memory exporter and Jaeger's query API can give it. */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | undefined;
  readonly name: string;
  /** Microseconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
}

const INFER_SPAN = 'POST /v2/models/:name/infer';

/** The server spans of the inference requests, one per request. */
export function serverSpans(spans: readonly SpanRecord[]): SpanRecord[] {
  return spans.filter((s) => s.name === INFER_SPAN);
}

function childrenOf(spans: readonly SpanRecord[], parent: SpanRecord): SpanRecord[] {
  return spans.filter((s) => s.traceId === parent.traceId && s.parentId === parent.spanId);
}

function expectInside(child: SpanRecord, parent: SpanRecord): void {
  const what = `${child.name} [${child.start}, ${child.end}] inside ${parent.name} [${parent.start}, ${parent.end}]`;
  expect(child.start, what).toBeGreaterThanOrEqual(parent.start);
  expect(child.end, what).toBeLessThanOrEqual(parent.end);
  expect(child.end, what).toBeGreaterThanOrEqual(child.start);
}

/**
 * `requests` inference requests that rode in one batch: each server span has decode, queue
 * and encode children that fit inside it and links to the batch; the batch is a child of one
 * of them, links back to all, and holds the inference span; the model's attributes are on the
 * request and inference spans (the batch span between them does not repeat them).
 */
export function expectOneSharedBatch(
  spans: readonly SpanRecord[],
  requests: number,
  model: { name: string; version: string; track: string },
): void {
  const servers = serverSpans(spans);
  expect(servers).toHaveLength(requests);
  const batches = spans.filter((s) => s.name === 'batch');
  expect(batches).toHaveLength(1);
  const batch = batches[0] as SpanRecord;
  expect(batch.attributes['modeldeploy.batch.requests']).toBe(requests);
  expect(batch.attributes['modeldeploy.batch.rows']).toBe(requests);
  expect(batch.attributes).not.toHaveProperty('modeldeploy.model.version');
  const batchParent = servers.find((s) => s.spanId === batch.parentId);
  expect(batchParent, 'the batch span is a child of one request span').toBeDefined();
  expectInside(batch, batchParent as SpanRecord);
  // Linked to every other request it carried; its parent is the remaining one.
  const carried = [...batch.links.map((l) => l.spanId), batch.parentId].sort();
  expect(carried).toEqual(servers.map((s) => s.spanId).sort());
  for (const server of servers) {
    expect(server.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v2/models/:name/infer',
      'http.response.status_code': 200,
      'modeldeploy.model.name': model.name,
      'modeldeploy.model.version': model.version,
      'modeldeploy.model.track': model.track,
    });
    expect(server.links, 'each request links to its batch').toContainEqual({
      traceId: batch.traceId,
      spanId: batch.spanId,
    });
    const children = childrenOf(spans, server);
    const names = children.map((c) => c.name).filter((n) => n !== 'batch');
    expect(names.sort()).toEqual(['decode', 'encode', 'queue']);
    for (const child of children) expectInside(child, server);
    const byName = new Map(children.map((c) => [c.name, c]));
    const queue = byName.get('queue') as SpanRecord;
    // The steps follow each other: decoded, then queued, then encoded.
    expect(queue.start).toBeGreaterThanOrEqual((byName.get('decode') as SpanRecord).end);
    expect((byName.get('encode') as SpanRecord).start).toBeGreaterThanOrEqual(queue.end);
  }
  const inferences = childrenOf(spans, batch);
  expect(inferences.map((s) => s.name)).toEqual(['inference']);
  const inference = inferences[0] as SpanRecord;
  expectInside(inference, batch);
  expect(inference.attributes).toMatchObject({
    'modeldeploy.inference.rows': requests,
    'modeldeploy.model.version': model.version,
  });
}
