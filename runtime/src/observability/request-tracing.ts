import { SpanKind, trace, type Attributes, type Context } from '@opentelemetry/api';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type {
  FastifyInstance,
  FastifyRequest,
  onRequestAbortHookHandler,
  onRequestHookHandler,
  onResponseHookHandler,
} from 'fastify';
import { bindTraceId } from './log-correlation.js';
import { CallerTrace, NO_TRACE, SpanRequestTrace, type RequestTrace } from './request-trace.js';
import { spanTime } from './span-clock.js';
import { ATTR } from './span-names.js';
import type { Tracing } from './tracing.js';
import { withHook } from '../protocol/route-hooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's spans; NO_TRACE when tracing is off or the route is not traced. */
    trace: RequestTrace;
    /**
     * Where request.trace keeps a traced request's RequestTrace (null for the rest). A field
     * every request gets when it is made, so all requests keep one hidden class: setting a
     * property on the sampled tenth only gave fastify's request objects two shapes, and
     * every property read of fastify's and ours on a request went polymorphic.
     */
    traceSlot: RequestTrace | null;
  }
}

/**
 * Gives every request its `trace`. With tracing off that is a getter returning NO_TRACE and no
 * hook runs per request. With tracing on, inference and metadata routes get hooks of their
 * own (health probes and /metrics none): a request is head-sampled when it arrives
 * (head-sampling.ts); a sampled one gets a server span (continuing a W3C traceparent/tracestate
 * from the caller), an unsampled one no span object at all. Log lines carry trace_id beside
 * request_id for sampled requests and for unsampled ones whose caller sent a traceparent.
 * The route's span name and path are worked out once, when it is registered: reading
 * request.routeOptions builds a new object at each access, which a profile showed as most of
 * what an unsampled request paid for tracing.
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
  app.decorateRequest('traceSlot', null);
  app.decorateRequest('trace', {
    getter(this: FastifyRequest): RequestTrace {
      return this.traceSlot ?? NO_TRACE;
    },
    setter(this: FastifyRequest, value: RequestTrace) {
      this.traceSlot = value;
    },
  });
  app.addHook('onRoute', (route) => {
    const category = route.config?.category;
    if (category !== 'inference' && category !== 'metadata') return;
    const traced = tracedRoute(tracing, route.config?.metricsRoute ?? route.url, modelAttributes);
    route.onRequest = withHook(route.onRequest, traced.onRequest);
    route.onResponse = withHook(route.onResponse, finishOnResponse);
    route.onRequestAbort = withHook(route.onRequestAbort, finishOnAbort);
  });
}

const finishOnResponse: onResponseHookHandler = (request, reply, done) => {
  request.trace.finish(reply.statusCode);
  done();
};

const finishOnAbort: onRequestAbortHookHandler = (request, done) => {
  request.trace.finish(499, 'client_closed_request');
  done();
};

/** One traced route's onRequest hook, its span names and constant attributes made once. */
function tracedRoute(
  tracing: Tracing,
  route: string,
  modelAttributes: Attributes,
): { onRequest: onRequestHookHandler } {
  const names = new Map<string, string>();
  const nameFor = (method: string): string => {
    let name = names.get(method);
    if (name === undefined) names.set(method, (name = `${method} ${route}`));
    return name;
  };
  const constant = routeAttributes(route, modelAttributes);
  return {
    onRequest: (request, _reply, done) => {
      const name = nameFor(request.method);
      const decision = tracing.head.decide(request.headers, name);
      if (decision.sampled) {
        const span = startServerSpan(tracing, request, decision.parent, name, constant);
        request.trace = span;
        bindTraceId(request.log, span.traceId);
      } else if (decision.incomingTraceId !== undefined) {
        request.trace = new CallerTrace(decision.incomingTraceId);
        bindTraceId(request.log, decision.incomingTraceId);
      }
      done();
    },
  };
}

function startServerSpan(
  tracing: Tracing,
  request: FastifyRequest,
  parent: Context,
  name: string,
  constant: ServerAttributes,
): SpanRequestTrace {
  // A caller's span (remote) is the parent; without one the span starts the trace.
  const span = tracing.recorder.open(
    name,
    SpanKind.SERVER,
    trace.getSpanContext(parent),
    spanTime(),
    serverAttributes(request, constant),
  );
  return new SpanRequestTrace(tracing.recorder, span);
}

/**
 * A server span's attributes, every key in one fixed order: the per-request values are
 * placeholders filled in by serverAttributes(), the route's and the model's are final.
 */
type ServerAttributes = Attributes;

function routeAttributes(route: string, modelAttributes: Attributes): ServerAttributes {
  const constant: ServerAttributes = {
    [ATTR_HTTP_REQUEST_METHOD]: '',
    [ATTR_HTTP_ROUTE]: route,
    [ATTR_URL_PATH]: '',
    [ATTR_URL_SCHEME]: '',
    [ATTR_NETWORK_PROTOCOL_VERSION]: '',
    [ATTR.requestId]: '',
    // Set by finish(); a key here keeps the object one shape (adding it at the end was
    // the largest frame of our own at 10 % sampling).
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: 0,
  };
  return Object.assign(constant, modelAttributes);
}

/** A copy of the route's template (one shape, copied by V8 in one step) with this request's. */
function serverAttributes(request: FastifyRequest, constant: ServerAttributes): Attributes {
  const attributes = { ...constant };
  const url = request.url;
  const query = url.indexOf('?');
  attributes[ATTR_HTTP_REQUEST_METHOD] = request.method;
  attributes[ATTR_URL_PATH] = query === -1 ? url : url.slice(0, query);
  attributes[ATTR_URL_SCHEME] = request.protocol;
  attributes[ATTR_NETWORK_PROTOCOL_VERSION] = request.raw.httpVersion;
  attributes[ATTR.requestId] = request.id;
  const userAgent = request.headers['user-agent'];
  if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
  return attributes;
}
