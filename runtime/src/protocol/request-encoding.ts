import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

type RequestCoding = 'gzip' | 'deflate';

/** The stream fastify reads a body from; receivedEncodedLength is what it checks against Content-Length. */
type DecodedBody = Transform & { receivedEncodedLength: number };

/**
 * Request bodies with `Content-Encoding: gzip` or `deflate` (what tritonclient sends with
 * request compression) are decompressed before the body parser reads them. The decompressed
 * size counts against BODY_LIMIT_BYTES and is checked as it grows, so a zip bomb is refused
 * with 413 after inflating at most the limit, not all of it. `identity` is read as is; any
 * other coding gets 415.
 */
export function registerRequestDecoding(app: FastifyInstance, bodyLimitBytes: number): void {
  app.addHook('preParsing', (request, reply, payload, done) => {
    let coding: RequestCoding | undefined;
    try {
      coding = requestCoding(request.headers['content-encoding']);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (coding === undefined) {
      done(null, payload);
      return;
    }
    // A refused body is left unread: its connection must not carry the next request unless
    // the error handler reads the rest (refused-body.ts).
    const refused = (): void => void reply.header('connection', 'close');
    done(null, decodedBody(payload, coding, bodyLimitBytes, refused));
  });
}

function requestCoding(header: string | undefined): RequestCoding | undefined {
  const coding = header?.trim().toLowerCase();
  if (coding === undefined || coding === '' || coding === 'identity') return undefined;
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === 'deflate') return 'deflate';
  throw new HttpError(
    415,
    `unsupported Content-Encoding '${header?.slice(0, 40) ?? ''}'; send gzip, deflate or identity`,
  );
}

function decodedBody(
  raw: Readable,
  coding: RequestCoding,
  limit: number,
  refused: () => void,
): DecodedBody {
  const inflater = coding === 'gzip' ? createGunzip() : createInflate();
  const out = new BoundedBody(limit);
  const stop = (error: HttpError): void => {
    if (out.destroyed) return;
    refused();
    raw.unpipe(inflater);
    inflater.destroy();
    // Read and drop what the client still sends, without inflating it, so that it gets the
    // answer instead of a reset; up to the limit once more, then stop reading.
    drained = 0;
    raw.resume();
    out.destroy(error);
  };
  let drained: number | undefined;
  raw.on('data', (chunk: Buffer) => {
    if (drained !== undefined) {
      drained += chunk.length;
      if (drained > limit) raw.pause();
      return;
    }
    out.receivedEncodedLength += chunk.length;
    if (out.receivedEncodedLength > limit) stop(tooLarge('', limit));
  });
  inflater.on('error', (err: Error) =>
    stop(
      new HttpError(
        400,
        `the request body is not valid ${coding === 'gzip' ? 'gzip' : 'deflate (zlib)'} data as its Content-Encoding says: ${err.message}`,
      ),
    ),
  );
  out.onOverLimit = () => stop(tooLarge(' once decompressed', limit));
  raw.pipe(inflater).pipe(out);
  return out;
}

function tooLarge(when: string, limit: number): HttpError {
  return new HttpError(413, `request body is larger than BODY_LIMIT_BYTES=${limit}${when}`);
}

/** Passes decompressed bytes on and stops at the limit. */
class BoundedBody extends Transform {
  receivedEncodedLength = 0;
  onOverLimit: () => void = () => {};
  private decoded = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decoded += chunk.length;
    if (this.decoded > this.limit) {
      callback();
      this.onOverLimit();
      return;
    }
    callback(null, chunk);
  }
}
