import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { answerOutputs, type MirroredProtocol, type WireAnswer } from './answer-outputs.js';
import { SHADOW_MARKER_HEADER } from './mirror-request.js';
import { createShadowMetrics } from './shadow-metrics.js';
import { ShadowMirror, type ShadowSettings } from './shadow-mirror.js';

/** What a picked request keeps until its answer is sent. */
interface Capture {
  readonly protocol: MirroredProtocol;
  readonly chunks: Buffer[];
  answer?: WireAnswer;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on requests picked for the shadow (register-shadow.ts). */
    shadowCapture: Capture | null;
  }
}

const INFERENCE_HEADER_LENGTH = 'inference-header-content-length';

/**
 * Mirrors a sample of inference requests to the shadow once they are answered. Register
 * after request decoding (the body is copied decompressed) and before response encoding
 * (the answer is copied uncompressed).
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
    if (protocol === undefined || !mirror.pick()) return done(null, payload);
    const capture: Capture = { protocol, chunks: [] };
    request.shadowCapture = capture;
    done(null, copyingBody(payload, capture.chunks));
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const capture = request.shadowCapture;
    if (capture !== null && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      const length = reply.getHeader(INFERENCE_HEADER_LENGTH);
      capture.answer = {
        body: typeof payload === 'string' ? Buffer.from(payload) : payload,
        jsonLength: length === undefined ? undefined : Number(length),
      };
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const capture = request.shadowCapture;
    request.shadowCapture = null;
    // Only answered requests have something to compare with.
    const answer = capture?.answer;
    if (
      capture !== null &&
      answer !== undefined &&
      reply.statusCode >= 200 &&
      reply.statusCode < 300
    ) {
      mirror.send({
        requestId: request.id,
        protocol: capture.protocol,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(capture.chunks),
        served: () => answerOutputs(capture.protocol, answer),
      });
    }
    done();
  });
  return mirror;
}

/** The protocol of an inference route, unless the request is itself a mirror. */
function mirroredProtocol(request: FastifyRequest): MirroredProtocol | undefined {
  if (request.routeOptions.config.category !== 'inference') return undefined;
  if (request.headers[SHADOW_MARKER_HEADER] !== undefined) return undefined;
  const url = request.routeOptions.url ?? '';
  if (url === '/predict') return 'predict';
  if (url.startsWith('/v1/')) return 'v1';
  if (url.startsWith('/v2/')) return 'v2';
  return undefined;
}

type CountedBody = Readable & { receivedEncodedLength?: number };

/**
 * Passes the body through while keeping its chunks. fastify checks Content-Length against
 * the stream's receivedEncodedLength when a decoder set one (request-encoding.ts), so the
 * copy reports its source's.
 */
function copyingBody(source: CountedBody, chunks: Buffer[]): Transform {
  const copy = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      chunks.push(chunk);
      callback(null, chunk);
    },
  });
  if (source.receivedEncodedLength !== undefined) {
    Object.defineProperty(copy, 'receivedEncodedLength', {
      get: () => source.receivedEncodedLength,
    });
  }
  source.on('error', (err) => copy.destroy(err));
  return source.pipe(copy);
}
