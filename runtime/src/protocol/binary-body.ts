import type { FastifyInstance } from 'fastify';
import { badRequest, HttpError } from '../errors.js';
import { parseJsonBody } from './json-body.js';
import { keepRawBody } from './raw-body.js';

/** Header of the V2 binary tensor data extension: the length of the JSON part of the body. */
export const INFERENCE_HEADER_LENGTH = 'inference-header-content-length';

/** A body sent without a JSON content type: its JSON part and the binary tensor data after it. */
export class BinaryBody {
  constructor(
    readonly json: unknown,
    readonly binary: Buffer,
  ) {}
}

/**
 * Bodies with no content type or `application/octet-stream` (what tritonclient sends):
 * the first Inference-Header-Content-Length bytes are JSON, the rest binary tensor data;
 * without that header the whole body is JSON. Other content types get 415.
 */
export function registerBinaryBodies(app: FastifyInstance): void {
  // fastify reads text/plain as a string by default; here it is one more unsupported type.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && !type.toLowerCase().startsWith('application/octet-stream')) {
      done(
        new HttpError(415, `unsupported content type '${type}'; send application/json`),
        undefined,
      );
      return;
    }
    keepRawBody(request, body as Buffer);
    try {
      done(null, splitBody(body as Buffer, request.headers[INFERENCE_HEADER_LENGTH]));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

function splitBody(body: Buffer, headerLength: string | string[] | undefined): BinaryBody {
  const length = headerLength === undefined ? body.length : Number(headerLength);
  if (!Number.isInteger(length) || length < 0 || length > body.length) {
    throw badRequest(
      `Inference-Header-Content-Length ${String(headerLength)} does not fit a body of ${body.length} bytes`,
    );
  }
  const json = parseJsonBody(body.subarray(0, length), 'the JSON part of the body');
  return new BinaryBody(json, body.subarray(length));
}

/** The JSON of a body, whichever parser read it; binary data is refused where unsupported. */
export function jsonOf(body: unknown): unknown {
  if (!(body instanceof BinaryBody)) return body;
  if (body.binary.length > 0)
    throw badRequest('binary tensor data is only accepted on the V2 infer routes');
  return body.json;
}
