import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  TraceExporterMetricsHelper,
  type IExportTraceServiceResponse,
  type ISerializer,
} from '@opentelemetry/otlp-transformer';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  type TracerProviderOptions,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { HeadIdGenerator, HeadSampler } from './head-sampling.js';
import { otlpTraceSerializer, type EncodedSpans } from './encoded-span-batch.js';
import { EncodingSpanProcessor, type EncodedSpanExporter } from './encoding-span-processor.js';
import { rootSampleBound, SAMPLE_EVERY_ROOT } from './root-sampling.js';
import { SpanRecorder, tracerScope } from './span-recorder.js';
import type { SamplerName, TracingConfig } from './tracing-config.js';

/** What the runtime's spans need: the sampling decision, a recorder, and a flush for shutdown. */
export interface Tracing {
  /** Decides once per request whether it is traced (head-sampling.ts). */
  readonly head: HeadSampler;
  /**
   * Makes every span of the runtime (server, steps, queue, batch, inference) and ends them
   * into the provider's span processor: only sampled requests ask (span-recorder.ts).
   */
  readonly recorder: SpanRecorder;
  /** The SDK's tracer on the same processor, resource and scope, for spans of other code. */
  readonly tracer: Tracer;
  /** Exports what is buffered and stops the exporter (graceful shutdown). */
  shutdown(): Promise<void>;
}

/**
 * Spans per OTLP request and how many may wait. The SDK's defaults (512 of 2048) made an
 * export every 512 spans, and each costs a fixed ~0.5 ms of the main thread in node's HTTP
 * client (request set-up, headers, the agent) besides encoding the spans: at 10 % sampling
 * and 7k requests/s that fixed part was a tenth of tracing's cost, at 100 % a ninth. Four
 * times larger exports cost a quarter of that; the queue keeps four exports' worth, so
 * spans are dropped (not requests slowed) only if the collector stalls for about two
 * seconds at 100 % sampling. The 5 s schedule for quiet periods is the SDK's.
 */
const EXPORT_BATCHING = {
  maxExportBatchSize: 2048,
  maxQueueSize: 8192,
  scheduledDelayMillis: 5000,
};

/** Builds the SDK's provider; a test can count its construction or watch its tracer. */
export type ProviderFactory = (options: TracerProviderOptions) => TracerProvider;

/** Wraps the exporter in the span processor; a test can export to memory instead. */
export type ProcessorFactory = (exporter: SpanExporter) => SpanProcessor;

export interface TracingFactories {
  readonly provider?: ProviderFactory;
  readonly processor?: ProcessorFactory;
}

const newProvider: ProviderFactory = (options) => new TracerProvider(options);

const batchProcessor: ProcessorFactory = (exporter) =>
  new BatchSpanProcessor({ exporter, ...EXPORT_BATCHING });

const TRACER_NAME = 'modeldeploy-runtime';

/**
 * The OpenTelemetry SDK when tracing is configured, else undefined: with tracing off no
 * provider, exporter or span object is created, and requests take the NO_TRACE path.
 * Nothing is registered globally; the runtime passes its tracer explicitly.
 */
export function createTracing(
  config: TracingConfig | undefined,
  runtimeVersion: string,
  factories: TracingFactories = {},
): Tracing | undefined {
  if (config === undefined) return undefined;
  const processor = processorFor(config, factories.processor);
  const ids = new HeadIdGenerator();
  // OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES (as specified).
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_VERSION]: runtimeVersion,
    ...config.resourceAttributes,
    [ATTR_SERVICE_NAME]: config.serviceName,
  });
  const head = new HeadSampler(
    samplerFor(config.sampler, config.ratio),
    rootSampleBound(config.sampler, config.ratio),
    ids,
  );
  return assemble(
    { resource, processor, ids, head, runtimeVersion },
    factories.provider ?? newProvider,
  );
}

/**
 * The runtime's tracing around a span processor of the caller's (how a test plugs in the
 * SDK's in-memory exporter): every request sampled, the SDK's default resource.
 */
export function tracingFrom(processor: SpanProcessor, runtimeVersion: string): Tracing {
  const ids = new HeadIdGenerator();
  const head = new HeadSampler(new AlwaysOnSampler(), SAMPLE_EVERY_ROOT, ids);
  return assemble(
    { resource: defaultResource(), processor, ids, head, runtimeVersion },
    newProvider,
  );
}

interface TracingParts {
  readonly resource: Resource;
  readonly processor: SpanProcessor;
  readonly ids: HeadIdGenerator;
  readonly head: HeadSampler;
  readonly runtimeVersion: string;
}

/**
 * One provider and one recorder over the same processor, resource, scope and ids: spans
 * the SDK's tracer starts and the recorder's go out in the same exports.
 */
function assemble(parts: TracingParts, factory: ProviderFactory): Tracing {
  const { resource, processor, ids, runtimeVersion } = parts;
  const provider = factory({
    resource,
    // The configured sampler decides in HeadSampler, before a span exists; the provider
    // records what it is asked for.
    sampler: new AlwaysOnSampler(),
    idGenerator: ids,
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer(TRACER_NAME, runtimeVersion);
  const scope = tracerScope(tracer, { name: TRACER_NAME, version: runtimeVersion });
  return {
    head: parts.head,
    tracer,
    recorder: new SpanRecorder(processor, ids, resource, scope),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * OTLP/HTTP with protobuf bodies unless http/json is configured: OpenTelemetry's default, a
 * third of the JSON's size, and half its CPU per span to encode in the runtime's process.
 * Protobuf spans are encoded as they end (encoding-span-processor.ts); a test's processor
 * factory gets an exporter of span lists instead.
 */
function processorFor(config: TracingConfig, factory: ProcessorFactory | undefined): SpanProcessor {
  const options = { url: config.url, headers: { ...config.headers } };
  if (config.protocol === 'http/json')
    return (factory ?? batchProcessor)(new JsonTraceExporter(options));
  if (factory !== undefined) return factory(new ProtobufTraceExporter(options));
  return new EncodingSpanProcessor(new EncodedTraceExporter(options), EXPORT_BATCHING);
}

/** The exporter's self-metrics count spans, not bytes. */
const ENCODED_SPANS_METRICS = {
  name: 'span' as const,
  countItems: (encoded: EncodedSpans): number => encoded.spans,
};

/** What goes over the wire is the batch's bytes, encoded already. */
const ENCODED_SPANS_SERIALIZER: ISerializer<EncodedSpans, IExportTraceServiceResponse> = {
  serializeRequest: (encoded) => encoded.bytes,
  deserializeResponse: (data) => otlpTraceSerializer.deserializeResponse(data),
};

function protobufDelegateOptions(options: {
  url: string;
  headers: Record<string, string>;
}): ReturnType<typeof convertLegacyHttpOptions> {
  return convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', {
    'Content-Type': 'application/x-protobuf',
  });
}

/**
 * The SDK's OTLP/HTTP export delegate (retries, headers, timeouts, the exporter's
 * self-metrics) sending requests the processor has already encoded.
 */
class EncodedTraceExporter extends OTLPExporterBase<EncodedSpans> implements EncodedSpanExporter {
  constructor(options: { url: string; headers: Record<string, string> }) {
    super(
      createOtlpHttpExportDelegate(
        protobufDelegateOptions(options),
        ENCODED_SPANS_SERIALIZER,
        'otlp_http_span_exporter',
        ENCODED_SPANS_METRICS,
        undefined,
      ),
    );
  }
}

/**
 * The SDK's OTLP/HTTP protobuf exporter (exporter-trace-otlp-proto's, assembled from the same
 * public parts: options, HTTP delegate, its self-metrics) with the runtime's serializer,
 * which writes the same bytes in one pass (encoded-span-batch.ts).
 */
class ProtobufTraceExporter extends OTLPExporterBase<ReadableSpan[]> implements SpanExporter {
  constructor(options: { url: string; headers: Record<string, string> }) {
    super(
      createOtlpHttpExportDelegate(
        protobufDelegateOptions(options),
        otlpTraceSerializer,
        'otlp_http_span_exporter',
        TraceExporterMetricsHelper,
        undefined,
      ),
    );
  }
}

/** OTEL_TRACES_SAMPLER's values, as OpenTelemetry's SDKs read them. */
export function samplerFor(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}
