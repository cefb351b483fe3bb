/**
 * Main-thread CPU of the tracing code alone for one traced request, in one process and without
 * HTTP: the head-sampling decision on a caller's sampled traceparent, the server span with
 * the runtime's attributes, the decode, queue and encode steps, a share of a batch span and
 * its inference span (one batch per --per-batch traced requests), the response status, and
 * the encoding of every span into export requests by the runtime's span processor, whose
 * exporter answers at once. The same-process bench measures the whole runtime and is noisy
 * to a point or two; this isolates the part tracing adds, to compare changes to it.
 *
 *   node --import tsx bench/observability/span-path.ts [--rounds 15] [--requests 20000]
 *        [--per-batch 3] [--against REF]
 *
 * It runs runtime/dist (build it first). With --against, the runtime of REF is built in a
 * temporary worktree and loaded into the same process, and the two alternate round by round:
 * on this shared machine the same code measured minutes apart differs by a quarter.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { EncodedSpans } from '../../runtime/src/observability/encoded-span-batch.js';
import type { EncodedSpanExporter } from '../../runtime/src/observability/encoding-span-processor.js';
import type { Tracing } from '../../runtime/src/observability/tracing.js';
import type * as BatchTracing from '../../runtime/src/observability/batch-tracing.js';
import type * as Processor from '../../runtime/src/observability/encoding-span-processor.js';
import type * as RequestTrace from '../../runtime/src/observability/request-trace.js';
import type * as SpanClock from '../../runtime/src/observability/span-clock.js';
import type * as SpanNames from '../../runtime/src/observability/span-names.js';
import type * as TracingModule from '../../runtime/src/observability/tracing.js';
import { formatMedian, summariseMedian } from '../lib/median-interval.js';
import { REPO_ROOT } from '../lib/models.js';
import { buildRuntimeAt } from '../lib/runtime-at-ref.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    requests: { type: 'string', default: '20000' },
    'per-batch': { type: 'string', default: '3' },
    /** A commit whose runtime is measured too, its rounds alternating with this checkout's. */
    against: { type: 'string' },
  },
});

/** Answers every export at once, counting what it was sent. */
class AnsweringExporter implements EncodedSpanExporter {
  spans = 0;
  bytes = 0;

  export(encoded: EncodedSpans, done: (result: ExportResult) => void): void {
    this.spans += encoded.spans;
    this.bytes += encoded.bytes.length;
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}

/** The runtime's tracing modules, loaded from one checkout's runtime/dist. */
interface TracingModules {
  readonly batchTracing: typeof BatchTracing;
  readonly processor: typeof Processor;
  readonly requestTrace: typeof RequestTrace;
  readonly clock: typeof SpanClock;
  readonly names: typeof SpanNames;
  readonly tracing: typeof TracingModule;
}

async function loadTracing(root: string): Promise<TracingModules> {
  const load = <T>(file: string): Promise<T> =>
    import(pathToFileURL(join(root, 'runtime', 'dist', 'observability', file)).href) as Promise<T>;
  return {
    batchTracing: await load('batch-tracing.js'),
    processor: await load('encoding-span-processor.js'),
    requestTrace: await load('request-trace.js'),
    clock: await load('span-clock.js'),
    names: await load('span-names.js'),
    tracing: await load('tracing.js'),
  };
}

const ROUTE = '/v2/models/{model}/infer';
const MODEL_IDENTITY = { name: 'tiny', version: '1', track: 'stable' };

/** A caller's sampled traceparent, a new trace id per request as wrk's Lua sends them. */
function traceparent(i: number): string {
  const hex = (i + 1).toString(16).padStart(8, '0');
  return `00-${hex}b7ad6b7169203331${hex}-${hex}b7ad6b71-01`;
}

/** The server span's attributes as request-tracing.ts builds them, in its key order. */
function serverTemplate(m: TracingModules): Record<string, string | number> {
  return {
    'http.request.method': '',
    'http.route': ROUTE,
    'url.path': '',
    'url.scheme': '',
    'network.protocol.version': '',
    'modeldeploy.request.id': '',
    'http.response.status_code': 0,
    ...(m.names.modelAttributes(MODEL_IDENTITY) as Record<string, string>),
  };
}

function tracedRequests(
  m: TracingModules,
  tracing: Tracing,
  requests: number,
  perBatch: number,
): void {
  const { SPAN } = m.names;
  const { spanTime } = m.clock;
  const template = serverTemplate(m);
  const batches = m.batchTracing.createBatchTracer(
    tracing,
    m.names.modelAttributes(MODEL_IDENTITY),
  );
  let members: InstanceType<typeof m.requestTrace.SpanRequestTrace>[] = [];
  for (let i = 0; i < requests; i++) {
    const name = `POST ${ROUTE}`;
    const decision = tracing.head.decide({ traceparent: traceparent(i) }, name);
    if (!decision.sampled) throw new Error('a sampled traceparent was not sampled');
    const attributes = { ...template };
    attributes['http.request.method'] = 'POST';
    attributes['url.path'] = '/v2/models/tiny/infer';
    attributes['url.scheme'] = 'http';
    attributes['network.protocol.version'] = '1.1';
    attributes['modeldeploy.request.id'] = `req-${i}`;
    const span = tracing.recorder.open(
      name,
      SpanKind.SERVER,
      trace.getSpanContext(decision.parent),
      spanTime(),
      { ...attributes, 'user_agent.original': 'wrk/4.2.0' },
    );
    const request = new m.requestTrace.SpanRequestTrace(tracing.recorder, span);
    if (request.traceId.length !== 32) throw new Error('a trace id is not 32 hex digits');
    request.start(SPAN.decode).end();
    const enqueued = performance.now();
    members.push(request);
    if (members.length === perBatch) {
      const taken = performance.now();
      for (const m of members) m.queued(enqueued, taken);
      const batch = batches.start(members, 25, 25);
      batch.inference(undefined, taken, performance.now(), 25, false);
      batch.end();
      for (const m of members) {
        m.start(SPAN.encode).end();
        m.finish(200);
      }
      members = [];
    }
  }
}

async function round(m: TracingModules, requests: number, perBatch: number): Promise<number> {
  const exporter = new AnsweringExporter();
  const processor = new m.processor.EncodingSpanProcessor(exporter, {
    maxExportBatchSize: 2048,
    maxQueueSize: 8192,
    scheduledDelayMillis: 5000,
  });
  const tracing = m.tracing.tracingFrom(processor, '0.1.0');
  const before = process.cpuUsage();
  tracedRequests(m, tracing, requests, perBatch);
  await processor.forceFlush();
  const used = process.cpuUsage(before);
  // Server span, decode, queue and encode; a batch and its inference span per batch.
  const spansPerRequest = 4 + 2 / perBatch;
  if (Math.abs(exporter.spans - requests * spansPerRequest) > 0.5)
    throw new Error(`exported ${exporter.spans} spans, expected ${requests * spansPerRequest}`);
  return (used.user + used.system) / requests;
}

const perBatch = Number(args['per-batch']);
// Whole batches, so that every request ends.
const requests = Math.floor(Number(args.requests) / perBatch) * perBatch;

function describe(perRequest: readonly number[]): string {
  const { median, interval } = summariseMedian(perRequest);
  const range =
    interval === undefined
      ? 'too few rounds for an interval'
      : `${Math.round(interval.level * 1000) / 10} % interval ${interval.low.toFixed(2)} … ${interval.high.toFixed(2)}`;
  return `median ${median.toFixed(2)} (${range})`;
}

/** Each side's µs per request, rounds alternating (the order swapped every other round). */
async function measure(sides: ReadonlyMap<string, TracingModules>): Promise<Map<string, number[]>> {
  const results = new Map<string, number[]>();
  // A first round each warms the code up and is not counted.
  for (const m of sides.values()) await round(m, requests, perBatch);
  for (let r = 0; r < Number(args.rounds); r++) {
    const order = [...sides];
    if (r % 2 === 1) order.reverse();
    for (const [name, m] of order) {
      const values = results.get(name) ?? [];
      values.push(await round(m, requests, perBatch));
      results.set(name, values);
    }
  }
  return results;
}

const sides = new Map([['this checkout', await loadTracing(REPO_ROOT)]]);
const baseline = args.against === undefined ? undefined : await buildRuntimeAt(args.against);
try {
  if (baseline !== undefined)
    sides.set(
      `${args.against} (${baseline.commit.slice(0, 10)})`,
      await loadTracing(baseline.root),
    );
  const results = await measure(sides);
  process.stdout.write(
    `µs CPU per traced request in the tracing code (${args.rounds} rounds of ${requests} requests, a batch per ${perBatch}):\n`,
  );
  for (const [name, values] of results) process.stdout.write(`  ${name}: ${describe(values)}\n`);
  const [ours, theirs] = [...results.values()];
  if (ours !== undefined && theirs !== undefined) {
    const ratios = ours.map((v, i) => v / (theirs[i] as number) - 1);
    process.stdout.write(
      `  this checkout against the other, round by round: ${formatMedian(summariseMedian(ratios))}\n`,
    );
  }
} finally {
  await baseline?.remove();
}
