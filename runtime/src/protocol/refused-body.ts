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
 * requests and proxies report the reset). The rest of the body is read and discarded:
 *
 * - on a keep-alive connection the answer goes out at once (resolves now) and the
 *   connection serves the next request once the body has been read;
 * - when the client asked to close (`Connection: close`, HTTP/1.0), Node closes the socket
 *   right after the answer, so the answer waits until the body has been read (resolves
 *   then): closing earlier would reset the client.
 */
export function discardRestOfRefusedBody(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const raw = request.raw;
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > REFUSED_BODY_DISCARD_BYTES) return Promise.resolve();
  reply.removeHeader('connection');
  // The body parser or the decompressor may still be attached; nothing reads the body now.
  raw.unpipe();
  let discarded = 0;
  raw.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > REFUSED_BODY_DISCARD_BYTES) raw.socket.destroy();
  });
  const read = new Promise<void>((resolve) => {
    raw.once('end', () => resolve());
    raw.once('close', () => resolve());
  });
  raw.resume();
  return clientAskedToClose(request) ? read : Promise.resolve();
}

function clientAskedToClose(request: FastifyRequest): boolean {
  const connection = (request.headers.connection ?? '').toLowerCase();
  if (/(^|,)\s*close\s*(,|$)/.test(connection)) return true;
  return request.raw.httpVersion === '1.0' && !/(^|,)\s*keep-alive\s*(,|$)/.test(connection);
}
