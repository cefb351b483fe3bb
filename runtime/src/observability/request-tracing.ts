import { ROOT_CONTEXT, SpanKind, type Attributes, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { bindTraceId } from './log-correlation.js';
import { NO_TRACE, SpanRequestTrace, type RequestTrace } from './request-trace.js';
import { spanTime } from './span-clock.js';
import { ATTR } from './span-names.js';
import type { Tracing } from './tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's spans; NO_TRACE when tracing is off or the route is not traced. */
    trace: RequestTrace;
  }
}

const propagator = new W3CTraceContextPropagator();

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

/**
 * Gives every request its `trace`. With tracing on, inference and metadata requests get a
 * server span (continuing a W3C traceparent/tracestate from the caller) and their log lines
 * carry trace_id beside request_id; health probes and /metrics are not traced.
 */
export function registerTracing(
  app: FastifyInstance,
  tracing: Tracing | undefined,
  modelAttributes: Attributes,
): void {
  app.decorateRequest('trace', null as unknown as RequestTrace);
  if (tracing === undefined) {
    app.addHook('onRequest', (request, _reply, done) => {
      request.trace = NO_TRACE;
      done();
    });
    return;
  }
  app.addHook('onRequest', (request, _reply, done) => {
    request.trace = traced(request) ? startServerSpan(tracing, request, modelAttributes) : NO_TRACE;
    if (request.trace.traceId !== undefined) bindTraceId(request.log, request.trace.traceId);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.trace.finish(reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    request.trace.finish(499, 'client_closed_request');
    done();
  });
}

function traced(request: FastifyRequest): boolean {
  const category = request.routeOptions.config.category;
  return category === 'inference' || category === 'metadata';
}

function startServerSpan(
  tracing: Tracing,
  request: FastifyRequest,
  modelAttributes: Attributes,
): SpanRequestTrace {
  const parent = propagator.extract(ROOT_CONTEXT, request.headers, headerGetter);
  const route = request.routeOptions.config.metricsRoute ?? request.routeOptions.url ?? '';
  const span = tracing.tracer.startSpan(
    `${request.method} ${route}`,
    { kind: SpanKind.SERVER, startTime: spanTime() },
    parent,
  );
  // Attributes only for spans that are recorded: our samplers do not read them, and building
  // and cleaning them for the requests a ratio sampler drops showed in the CPU profile.
  if (span.isRecording()) span.setAttributes(serverAttributes(request, route, modelAttributes));
  return new SpanRequestTrace(tracing.tracer, span, parent, modelAttributes);
}

function serverAttributes(
  request: FastifyRequest,
  route: string,
  modelAttributes: Attributes,
): Attributes {
  const userAgent = request.headers['user-agent'];
  return {
    [ATTR_HTTP_REQUEST_METHOD]: request.method,
    [ATTR_HTTP_ROUTE]: route,
    [ATTR_URL_PATH]: request.url.split('?')[0] ?? request.url,
    [ATTR_URL_SCHEME]: request.protocol,
    [ATTR_NETWORK_PROTOCOL_VERSION]: request.raw.httpVersion,
    [ATTR.requestId]: request.id,
    ...(userAgent !== undefined ? { [ATTR_USER_AGENT_ORIGINAL]: userAgent } : {}),
    ...modelAttributes,
  };
}
