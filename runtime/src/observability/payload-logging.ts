import type { FastifyInstance, FastifyRequest, onResponseHookHandler } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { RuntimeConfig } from '../config/index.js';
import { BinaryBody } from '../protocol/binary-body.js';
import { withBinaryData } from './payload-binary.js';
import { inputsByName, type InferenceProtocol } from './payload-inputs.js';
import type { PayloadLogConfig } from './payload-log-config.js';
import { payloadRecord } from './payload-record.js';
import { PayloadSampler, type RandomSource } from './payload-sampler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The response body as sent, kept for a payload record (payload logging on only). */
    sentPayload: string | Buffer | undefined;
  }
}

/** The logger name payload records carry, for log pipelines to route them on. */
export const PAYLOAD_LOGGER_NAME = 'payload';

/**
 * Payload records go through a pino logger of their own (name "payload"), not the runtime's:
 * its level cannot hide them, and pipelines can send them elsewhere (an audit store) by name.
 * On stdout they are written asynchronously: lines logged while a write is under way go out
 * together in the next one, where a synchronous write per record was the largest single cost
 * of payload logging in a CPU profile. pino writes what is still buffered when the process
 * exits (process.exit after the graceful shutdown included).
 */
export function createPayloadLogger(
  config: RuntimeConfig,
  destination?: DestinationStream,
): Logger {
  const options = {
    name: PAYLOAD_LOGGER_NAME,
    level: 'info',
    base: { model: config.model.name, version: config.model.version, track: config.model.track },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}

export interface PayloadLoggingOptions {
  readonly logger: Logger;
  readonly random?: RandomSource;
  /** The model's input names, for V1 instances of a single-input model. */
  readonly modelInputs: () => readonly string[];
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/**
 * Records sampled (and failed) inference requests (register it only when it is on). Its hooks
 * go on the inference routes alone, with each route's path and protocol worked out when it is
 * registered: reading request.routeOptions per request builds a new object each time.
 */
export function registerPayloadLogging(
  app: FastifyInstance,
  config: PayloadLogConfig,
  options: PayloadLoggingOptions,
): void {
  const sampler = new PayloadSampler(config.sampleRatio, config.logFailures, options.random);
  app.decorateRequest('sentPayload', undefined);
  // Every route, and before the response is compressed (registered ahead of that hook): the
  // record holds the answer as the handler made it. Only inference routes read it.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (isBody(payload)) request.sentPayload = payload;
    done(null, payload);
  });
  app.addHook('onRoute', (route) => {
    if (route.config?.category !== 'inference') return;
    const path = route.config.metricsRoute ?? route.url;
    const protocol = protocolOf(route.url);
    const record: onResponseHookHandler = (request, reply, done) => {
      if (sampler.logs(reply.statusCode)) {
        const answered = {
          requestId: request.id,
          traceId: request.trace.traceId ?? incomingTraceId(request),
          route: path,
          status: reply.statusCode,
          latencyMs: reply.elapsedTime,
          inputs: inputsByName(protocol, requestJson(request), options.modelInputs()),
          response: request.sentPayload,
        };
        options.logger.info(
          payloadRecord(answered, config.redact, config.maxRecordBytes),
          'inference payload',
        );
      }
      done();
    };
    route.onResponse = [...hookList(route.onResponse), record];
  });
}

function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

function isBody(payload: unknown): payload is string | Buffer {
  return typeof payload === 'string' || Buffer.isBuffer(payload);
}

/** Without our own span, the caller's W3C trace id still correlates the record. */
function incomingTraceId(request: FastifyRequest): string | undefined {
  const header = request.headers['traceparent'];
  return typeof header === 'string' ? TRACEPARENT.exec(header)?.[1] : undefined;
}

function protocolOf(url: string): InferenceProtocol {
  if (url.startsWith('/v2/')) return 'v2';
  if (url.startsWith('/v1/')) return 'v1';
  return 'predict';
}

/** The parsed JSON body; a binary V2 body's JSON header with its tensors' bytes in base64. */
function requestJson(request: FastifyRequest): unknown {
  const body = request.body;
  return body instanceof BinaryBody ? withBinaryData(body.json, body.binary) : body;
}
