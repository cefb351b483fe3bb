import { SpanKind, type Attributes, type Context } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bindTraceId } from './log-correlation.js';
import { CallerTrace, NO_TRACE, SpanRequestTrace, type RequestTrace } from './request-trace.js';
import { spanTime } from './span-clock.js';
import { ATTR } from './span-names.js';
import type { Tracing } from './tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's spans; NO_TRACE when tracing is off or the route is not traced. */
    trace: RequestTrace;
  }
}

/**
 * Gives every request its `trace`. With tracing off that is a getter returning NO_TRACE and no
 * hook runs per request. With tracing on, inference and metadata requests are head-sampled
 * when they arrive (head-sampling.ts); a sampled one gets a server span (continuing a W3C
 * traceparent/tracestate from the caller), an unsampled one no span object at all. Log lines
 * carry trace_id beside request_id for sampled requests and for unsampled ones whose caller
 * sent a traceparent; health probes and /metrics are not traced.
 */
export function registerTracing(
  app: FastifyInstance,
  tracing: Tracing | undefined,
  modelAttributes: Attributes,
): void {
  if (tracing === undefined) {
    app.decorateRequest('trace', { getter: () => NO_TRACE });
    return;
  }
  app.decorateRequest('trace', null as unknown as RequestTrace);
  app.addHook('onRequest', (request, _reply, done) => {
    request.trace = traced(request) ? headSampled(tracing, request, modelAttributes) : NO_TRACE;
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

function headSampled(
  tracing: Tracing,
  request: FastifyRequest,
  modelAttributes: Attributes,
): RequestTrace {
  const route = request.routeOptions.config.metricsRoute ?? request.routeOptions.url ?? '';
  const name = `${request.method} ${route}`;
  const decision = tracing.head.decide(request.headers, name);
  if (decision.sampled)
    return startServerSpan(tracing, request, decision.parent, name, route, modelAttributes);
  return decision.incomingTraceId === undefined
    ? NO_TRACE
    : new CallerTrace(decision.incomingTraceId);
}

function startServerSpan(
  tracing: Tracing,
  request: FastifyRequest,
  parent: Context,
  name: string,
  route: string,
  modelAttributes: Attributes,
): SpanRequestTrace {
  const span = tracing.tracer.startSpan(
    name,
    {
      kind: SpanKind.SERVER,
      startTime: spanTime(),
      attributes: serverAttributes(request, route, modelAttributes),
    },
    parent,
  );
  return new SpanRequestTrace(tracing.tracer, span, parent);
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
