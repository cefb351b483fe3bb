import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { INFERENCE_HEADER_LENGTH } from '../protocol/binary-body.js';
import { answerOutputs, type MirroredProtocol } from './answer-outputs.js';
import { SHADOW_MARKER_HEADER } from './mirror-request.js';
import { createShadowMetrics } from './shadow-metrics.js';
import { ShadowMirror, type ShadowSettings } from './shadow-mirror.js';

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
  // preParsing runs after authentication, so refused requests use no samples.
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const protocol = mirroredProtocol(request);
    if (protocol !== undefined && mirror.pick()) {
      request.shadowCapture = { protocol };
      request.keepRawBody = true;
    }
    done(null, payload);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const capture = request.shadowCapture;
    if (capture !== null && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      const length = reply.getHeader(INFERENCE_HEADER_LENGTH);
      capture.answer = { payload, jsonLength: length === undefined ? undefined : Number(length) };
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const capture = request.shadowCapture;
    const body = request.rawBody;
    request.shadowCapture = null;
    request.rawBody = null;
    // Only answered requests have something to compare with.
    const answer = capture?.answer;
    if (
      capture !== null &&
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
  });
  return mirror;
}

/** The protocol of an inference route, unless the request is itself a mirror. */
function mirroredProtocol(request: FastifyRequest): MirroredProtocol | undefined {
  if (request.headers[SHADOW_MARKER_HEADER] !== undefined) return undefined;
  const { config, url = '' } = request.routeOptions;
  if (config.category !== 'inference') return undefined;
  if (url === '/predict') return 'predict';
  if (url.startsWith('/v1/')) return 'v1';
  if (url.startsWith('/v2/')) return 'v2';
  return undefined;
}
