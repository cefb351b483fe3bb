import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The most of a refused body the server reads and throws away so that its client can read
 * the 4xx. A larger declared body, or a chunked one that grows past it, still closes the
 * connection: reading it would only cost the server.
 */
export const REFUSED_BODY_DISCARD_BYTES = 64 * 1024 * 1024;

/**
 * fastify answers a body it will not read (over BODY_LIMIT_BYTES, a zip bomb) with
 * `Connection: close`, and Node then closes a socket that still has request bytes coming:
 * the client, still writing, gets EPIPE or a reset instead of the 413 (curl, Python
 * requests and proxies report the reset). Reading the rest and discarding it lets the
 * client read the answer, and the connection serve its next request.
 */
export function discardRestOfRefusedBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > REFUSED_BODY_DISCARD_BYTES) return;
  reply.removeHeader('connection');
  // The body parser or the decompressor may still be attached; nothing reads the body now.
  raw.unpipe();
  let discarded = 0;
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > REFUSED_BODY_DISCARD_BYTES) raw.socket.destroy();
  });
  raw.resume();
}
