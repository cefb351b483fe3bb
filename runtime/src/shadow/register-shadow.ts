import type { FastifyInstance, onResponseHookHandler, preParsingHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { INFERENCE_HEADER_LENGTH } from '../protocol/binary-body.js';
import { answerOutputs, type MirroredProtocol } from './answer-outputs.js';
import { SHADOW_MARKER_HEADER } from './mirror-request.js';
import { createShadowMetrics } from './shadow-metrics.js';
import { ShadowMirror, type ShadowSettings } from './shadow-mirror.js';
import { withHook } from '../protocol/route-hooks.js';

/** What a picked request keeps until its answer is sent. */
interface Capture {
  readonly protocol: MirroredProtocol;
  /** The answer as fastify sends it (a string for JSON), read only after the shadow answered. */
  answer?: { readonly payload: string | Buffer; readonly jsonLength: number | undefined };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on requests picked for the shadow (register-shadow.ts). */
    shadowCapture: Capture | null;
  }
}

/**
 * Mirrors a sample of inference requests to the shadow once they are answered. Register
 * after request decoding (the body parsers keep the decompressed bytes of picked requests,
 * protocol/raw-body.ts) and before response encoding (the answer is copied uncompressed).
 * Nothing is copied on the user's path: the body is the parser's own buffer, and the answer
 * is kept as fastify sends it.
 */
export function registerShadow(
  app: FastifyInstance,
  settings: ShadowSettings,
  registry: Registry,
  logger: Logger,
  apiKey: string | undefined,
): ShadowMirror {
  const mirror = new ShadowMirror(settings, createShadowMetrics(registry), logger, apiKey);
  app.addHook('onClose', (_app, done) => {
    mirror.close();
    done();
  });
  app.decorateRequest('shadowCapture', null);
  // The onSend hook stays the application's: a route's own onSend would run after response
  // encoding and see the compressed answer.
  app.addHook('onSend', (request, reply, payload, done) => {
    const capture = request.shadowCapture;
    if (capture !== null && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      const length = reply.getHeader(INFERENCE_HEADER_LENGTH);
      capture.answer = { payload, jsonLength: length === undefined ? undefined : Number(length) };
    }
    done(null, payload);
  });
  // The other two belong to the inference routes alone, with the protocol known when the
  // route is added: every request paid for them when they were the application's, and
  // request.routeOptions builds a new object at each read.
  app.addHook('onRoute', (route) => {
    const protocol = mirroredProtocol(route.config?.category, route.url);
    if (protocol === undefined) return;
    route.preParsing = withHook(route.preParsing, pickHook(mirror, protocol));
    route.onResponse = withHook(route.onResponse, sendHook(mirror));
  });
  return mirror;
}

/** Picks requests of one route for the shadow; preParsing runs after authentication, so refused requests use no samples. */
function pickHook(mirror: ShadowMirror, protocol: MirroredProtocol): preParsingHookHandler {
  return (request, _reply, payload, done) => {
    // A copy is never copied again.
    if (request.headers[SHADOW_MARKER_HEADER] === undefined && mirror.pick()) {
      request.shadowCapture = { protocol };
      request.keepRawBody = true;
    }
    done(null, payload);
  };
}

/** Sends a picked request to the shadow once the user has its (successful) answer. */
function sendHook(mirror: ShadowMirror): onResponseHookHandler {
  return (request, reply, done) => {
    const capture = request.shadowCapture;
    if (capture === null) {
      done();
      return;
    }
    const body = request.rawBody;
    request.shadowCapture = null;
    request.rawBody = null;
    // Only answered requests have something to compare with.
    const answer = capture.answer;
    if (
      answer !== undefined &&
      body !== null &&
      reply.statusCode >= 200 &&
      reply.statusCode < 300
    ) {
      mirror.send({
        requestId: request.id,
        protocol: capture.protocol,
        url: request.url,
        headers: request.headers,
        body,
        served: () =>
          answerOutputs(capture.protocol, { body: answer.payload, jsonLength: answer.jsonLength }),
      });
    }
    done();
  };
}

/** The protocol of an inference route (by the path it was added with). */
function mirroredProtocol(category: unknown, url: string): MirroredProtocol | undefined {
  if (category !== 'inference') return undefined;
  if (url === '/predict') return 'predict';
  if (url.startsWith('/v1/')) return 'v1';
  if (url.startsWith('/v2/')) return 'v2';
  return undefined;
}
