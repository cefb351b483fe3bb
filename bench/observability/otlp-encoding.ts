/**
 * CPU per span of the OTLP protobuf encoding: the SDK's ProtobufTraceSerializer against the
 * runtime's (runtime/src/observability/encoded-span-batch.ts), on exports of 2048 spans shaped
 * as the runtime records them (server span with links and error status, steps, queue, batch,
 * inference), alternating the two for --rounds rounds in one process.
 *
 *   node --import tsx bench/observability/otlp-encoding.ts [--rounds 20] [--exports 20]
 */
import { SpanKind, TraceFlags, type HrTime, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { parseArgs } from 'node:util';
import { otlpTraceSerializer } from '../../runtime/src/observability/encoded-span-batch.js';
import { tracingFrom } from '../../runtime/src/observability/tracing.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    exports: { type: 'string', default: '20' },
  },
});
const EXPORT_SPANS = 2048;

const CALLER: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  traceState: new TraceState('vendor=value'),
  isRemote: true,
};

/** One export's spans: requests of five spans each, a batch and an inference span per two. */
function exportSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const { recorder } = tracingFrom(new SimpleSpanProcessor({ exporter }), '0.1.0');
  const at: HrTime = [1_764_446_400, 123_456_789];
  for (let i = 0; exporter.getFinishedSpans().length < EXPORT_SPANS; i++) {
    const server = recorder.open(
      'POST /v2/models/{model}/infer',
      SpanKind.SERVER,
      i % 4 === 0 ? CALLER : undefined,
      at,
      {
        'http.request.method': 'POST',
        'http.route': '/v2/models/{model}/infer',
        'url.path': '/v2/models/tiny/infer',
        'url.scheme': 'http',
        'network.protocol.version': '1.1',
        'modeldeploy.request_id': `req-${i}`,
        'http.response.status_code': 200,
        'model.name': 'tiny',
        'model.version': '1',
        'model.track': 'stable',
        'user_agent.original': 'wrk/4.2.0',
      },
    );
    recorder.record('decode', server.context, at, at);
    recorder.record('queue', server.context, at, at);
    if (i % 2 === 0) {
      const batch = recorder.open(
        'batch',
        SpanKind.INTERNAL,
        server.context,
        at,
        { 'batch.requests': 25, 'batch.rows': 25 },
        [{ context: CALLER }],
      );
      recorder.record('inference', batch.context, at, at, {
        'model.name': 'tiny',
        'model.version': '1',
        'model.track': 'stable',
        'inference.rows': 25,
        'isolation.run': false,
      });
      batch.end(at);
      server.addLink({ context: batch.context });
    }
    recorder.record('encode', server.context, at, at);
    server.end(at);
  }
  return exporter.getFinishedSpans().slice(0, EXPORT_SPANS);
}

function timePerSpan(
  encode: (spans: ReadableSpan[]) => Uint8Array | undefined,
  spans: ReadableSpan[],
): number {
  const exports = Number(args.exports);
  const before = process.cpuUsage();
  for (let i = 0; i < exports; i++) encode(spans);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (exports * spans.length);
}

const spans = exportSpans();
const sdk = (s: ReadableSpan[]): Uint8Array | undefined =>
  ProtobufTraceSerializer.serializeRequest(s);
const ours = (s: ReadableSpan[]): Uint8Array | undefined => otlpTraceSerializer.serializeRequest(s);
const results = { sdk: [] as number[], ours: [] as number[] };
for (let r = 0; r < Number(args.rounds); r++) {
  results.sdk.push(timePerSpan(sdk, spans));
  results.ours.push(timePerSpan(ours, spans));
}
const median = (v: number[]): number =>
  [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
process.stdout.write(
  `µs CPU per span (median of ${args.rounds} rounds of ${args.exports} exports of ${EXPORT_SPANS} spans): SDK ${median(results.sdk).toFixed(3)}, runtime ${median(results.ours).toFixed(3)}\n`,
);
