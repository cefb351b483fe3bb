import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set before parsing (e.g. in preParsing) to have the body parsers keep the body's bytes. */
    keepRawBody: boolean;
    /** The decoded body bytes a parser read, when keepRawBody was set; else null. */
    rawBody: Buffer | null;
  }
}

/**
 * Lets a hook ask for the exact bytes a request's body parser read (decompressed). Only
 * requests that ask keep them: a body held until the answer is sent would otherwise double
 * the memory of every large request in flight.
 */
export function decorateRawBody(app: FastifyInstance): void {
  app.decorateRequest('keepRawBody', false);
  app.decorateRequest('rawBody', null);
}

/** Called by the body parsers with the bytes they read. */
export function keepRawBody(request: FastifyRequest, body: Buffer): void {
  if (request.keepRawBody) request.rawBody = body;
}
