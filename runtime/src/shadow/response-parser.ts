/** One HTTP/1.1 response, whole. */
export interface ParsedResponse {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The server will close the connection (`connection: close`, or HTTP/1.0 without keep-alive). */
  readonly closes: boolean;
}

/** The bytes are not an HTTP/1.1 response this parser can read. */
export class MalformedResponse extends Error {}

const HEADER_END = Buffer.from('\r\n\r\n');
/** A response head larger than this is not one of ours: refuse it rather than buffer it. */
const MAX_HEAD_BYTES = 64 * 1024;

type Framing =
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'until-close' };

interface Head {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly closes: boolean;
  readonly framing: Framing;
}

/**
 * Reads responses in order from a connection's bytes, as they arrive. The shadow is our
 * own runtime, which frames answers with content-length; chunked bodies and bodies that end
 * with the connection are read too, so any HTTP/1.1 server behind the shadow Service works.
 * 1xx interim responses are skipped.
 */
export class ResponseParser {
  private buffered: Buffer = Buffer.alloc(0);
  private head: Head | undefined;
  /** Chunked bodies: the chunks decoded so far. */
  private chunks: Buffer[] = [];

  /** Adds bytes; returns the response once it is complete. Throws MalformedResponse. */
  push(data: Buffer): ParsedResponse | undefined {
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    return this.next();
  }

  /**
   * The next whole response from the bytes already pushed, if there is one: answers to
   * pipelined requests often arrive in one read. Throws MalformedResponse.
   */
  next(): ParsedResponse | undefined {
    for (;;) {
      if (this.head === undefined) {
        const head = this.takeHead();
        if (head === undefined) return undefined;
        if (head.status >= 100 && head.status < 200) continue;
        this.head = head;
      }
      return this.takeBody(this.head);
    }
  }

  /** The connection ended: completes a body that runs until close, else says what is missing. */
  end(): ParsedResponse {
    const head = this.head;
    if (head?.framing.kind === 'until-close') return this.finish(head, this.buffered);
    throw new MalformedResponse(
      head === undefined
        ? 'the shadow closed the connection before a whole response head'
        : 'the shadow closed the connection in the middle of a response body',
    );
  }

  /** Bytes received beyond the response just returned: the start of the next one, if any. */
  get leftover(): number {
    return this.buffered.length;
  }

  /** Whether any byte of a response not yet returned has arrived. */
  get started(): boolean {
    return this.head !== undefined || this.buffered.length > 0;
  }

  private takeHead(): Head | undefined {
    const end = this.buffered.indexOf(HEADER_END);
    if (end < 0) {
      if (this.buffered.length > MAX_HEAD_BYTES)
        throw new MalformedResponse(`response head over ${MAX_HEAD_BYTES} bytes`);
      return undefined;
    }
    const text = this.buffered.toString('latin1', 0, end);
    this.buffered = this.buffered.subarray(end + HEADER_END.length);
    return parseHead(text);
  }

  private takeBody(head: Head): ParsedResponse | undefined {
    const { framing } = head;
    if (framing.kind === 'length') {
      if (this.buffered.length < framing.length) return undefined;
      const body = this.buffered.subarray(0, framing.length);
      this.buffered = this.buffered.subarray(framing.length);
      return this.finish(head, body);
    }
    if (framing.kind === 'chunked') return this.takeChunks(head);
    return undefined;
  }

  private takeChunks(head: Head): ParsedResponse | undefined {
    for (;;) {
      const lineEnd = this.buffered.indexOf('\r\n');
      if (lineEnd < 0) return undefined;
      const size = parseInt(this.buffered.toString('latin1', 0, lineEnd).split(';')[0] ?? '', 16);
      if (!Number.isFinite(size) || size < 0)
        throw new MalformedResponse('a chunk size that is not a hex number');
      if (size === 0) return this.takeTrailers(head, lineEnd + 2);
      const needed = lineEnd + 2 + size + 2;
      if (this.buffered.length < needed) return undefined;
      this.chunks.push(this.buffered.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.buffered = this.buffered.subarray(needed);
    }
  }

  /** After the last chunk ("0\r\n"): "\r\n", or trailer lines (ignored) up to an empty line. */
  private takeTrailers(head: Head, from: number): ParsedResponse | undefined {
    const rest = this.buffered.subarray(from);
    if (rest.length < 2) return undefined;
    let end = 2;
    if (rest[0] !== 0x0d || rest[1] !== 0x0a) {
      const blank = rest.indexOf(HEADER_END);
      if (blank < 0) return undefined;
      end = blank + HEADER_END.length;
    }
    this.buffered = rest.subarray(end);
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    return this.finish(head, body);
  }

  private finish(head: Head, body: Buffer): ParsedResponse {
    this.head = undefined;
    if (this.buffered.length === 0) this.buffered = Buffer.alloc(0);
    return { status: head.status, headers: head.headers, body, closes: head.closes };
  }
}

/**
 * The status line and headers. Written as one scan without split or regular expressions: it
 * runs on the stable pod's main thread for every copy.
 */
function parseHead(text: string): Head {
  const firstEnd = lineEnd(text, 0);
  const status = statusOf(text, firstEnd);
  const headers: Record<string, string> = {};
  for (let at = firstEnd + 2; at < text.length;) {
    const end = lineEnd(text, at);
    const colon = text.indexOf(':', at);
    if (colon <= at || colon > end)
      throw new MalformedResponse(
        `a header line without a name: ${JSON.stringify(text.slice(at, end))}`,
      );
    const name = text.slice(at, colon).trim().toLowerCase();
    const value = text.slice(colon + 1, end).trim();
    const earlier = headers[name];
    headers[name] = earlier === undefined ? value : `${earlier}, ${value}`;
    at = end + 2;
  }
  const connection = (headers['connection'] ?? '').toLowerCase();
  const http10 = text.charCodeAt(7) === 0x30;
  const closes = connection.includes('close') || (http10 && !connection.includes('keep-alive'));
  return { status, headers, closes, framing: framingOf(status, headers) };
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\r\n', from);
  return end < 0 ? text.length : end;
}

/** The status code of "HTTP/1.x NNN reason". */
function statusOf(text: string, end: number): number {
  const status = Number(text.slice(9, 12));
  const valid =
    end >= 12 &&
    text.startsWith('HTTP/1.') &&
    (text[7] === '0' || text[7] === '1') &&
    text[8] === ' ' &&
    Number.isInteger(status) &&
    status >= 100 &&
    (end === 12 || text[12] === ' ');
  if (!valid)
    throw new MalformedResponse(
      `not an HTTP/1.x status line: ${JSON.stringify(text.slice(0, end))}`,
    );
  return status;
}

function framingOf(status: number, headers: Record<string, string>): Framing {
  // RFC 9112 6.3: these never have a body.
  if (status === 204 || status === 304 || (status >= 100 && status < 200))
    return { kind: 'length', length: 0 };
  if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked'))
    return { kind: 'chunked' };
  const length = headers['content-length'];
  if (length === undefined) return { kind: 'until-close' };
  if (!/^\d+$/.test(length))
    throw new MalformedResponse(`content-length is not a number: ${JSON.stringify(length)}`);
  return { kind: 'length', length: Number(length) };
}
