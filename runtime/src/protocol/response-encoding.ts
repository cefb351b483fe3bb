import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

type ResponseCoding = 'gzip' | 'deflate';

const compressors: Record<ResponseCoding, (data: Buffer | string) => Promise<Buffer>> = {
  gzip: promisify(gzip),
  deflate: promisify(deflate),
};

/** Smaller answers are sent as they are: compressing them saves less than it costs. */
export const MIN_COMPRESSED_BYTES = 1024;

/**
 * Compresses answers for clients that ask with Accept-Encoding (gzip preferred, then
 * deflate), as Triton does: tritonclient's response compression and Prometheus scrapes.
 * zlib runs on its thread pool, so a large answer does not hold the event loop.
 */
export function registerResponseEncoding(app: FastifyInstance): void {
  // A callback hook, not an async one: every answer passes here and almost none is
  // compressed, so the common path should not cost a promise and a microtask.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return done(null, payload);
    if (reply.hasHeader('content-encoding')) return done(null, payload);
    const coding = acceptedCoding(request.headers['accept-encoding']);
    reply.header('vary', 'accept-encoding');
    if (coding === undefined) return done(null, payload);
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (size < MIN_COMPRESSED_BYTES) return done(null, payload);
    compressors[coding](payload).then(
      (compressed) => {
        reply.header('content-encoding', coding);
        reply.removeHeader('content-length');
        done(null, compressed);
      },
      (err: Error) => done(err),
    );
  });
}

/** gzip or deflate when the client accepts it (q > 0, or `*`), else undefined. */
export function acceptedCoding(header: string | undefined): ResponseCoding | undefined {
  if (header === undefined) return undefined;
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim());
    if (name === undefined || name === '') continue;
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const any = weights.get('*') ?? 0;
  for (const coding of ['gzip', 'deflate'] as const) {
    if ((weights.get(coding) ?? any) > 0) return coding;
  }
  return undefined;
}
