import { describe, expect, it } from 'vitest';
import { MalformedResponse, ResponseParser, type ParsedResponse } from './response-parser.js';

/** Feeds `bytes` in pieces of `size` and returns what the parser completed. */
function feed(bytes: string, size: number): ParsedResponse[] {
  const parser = new ResponseParser();
  const done: ParsedResponse[] = [];
  const buffer = Buffer.from(bytes, 'latin1');
  for (let at = 0; at < buffer.length; at += size) {
    const response = parser.push(buffer.subarray(at, at + size));
    if (response !== undefined) done.push(response);
  }
  return done;
}

const FASTIFY_ANSWER =
  'HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n' +
  'inference-header-content-length: 7\r\ncontent-length: 11\r\n' +
  'Date: Sun, 29 Nov 2026 20:00:00 GMT\r\nConnection: keep-alive\r\n\r\n{"a":[1,2]}';

describe('ResponseParser', () => {
  it.each([1, 2, 7, 64, 4096])(
    'reads a content-length answer however the bytes are split (pieces of %i)',
    (size) => {
      const [response, ...rest] = feed(FASTIFY_ANSWER, size);
      expect(rest).toEqual([]);
      expect(response?.status).toBe(200);
      expect(response?.headers['inference-header-content-length']).toBe('7');
      expect(response?.headers['connection']).toBe('keep-alive');
      expect(response?.body.toString()).toBe('{"a":[1,2]}');
      expect(response?.closes).toBe(false);
    },
  );

  it.each([1, 3, 4096])('decodes a chunked body with trailers (pieces of %i)', (size) => {
    const bytes =
      'HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n';
    const [response] = feed(bytes, size);
    expect(response?.status).toBe(503);
    expect(response?.body.toString()).toBe('hello, world');
  });

  it('reads a chunked body without trailers', () => {
    const [response] = feed(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      5,
    );
    expect(response?.body.toString()).toBe('ok');
  });

  it('skips a 100 Continue before the answer', () => {
    const [response, ...rest] = feed(`HTTP/1.1 100 Continue\r\n\r\n${FASTIFY_ANSWER}`, 9);
    expect(rest).toEqual([]);
    expect(response?.status).toBe(200);
  });

  it('reads back-to-back answers one at a time and counts what is left over', () => {
    const parser = new ResponseParser();
    const first = parser.push(Buffer.from(FASTIFY_ANSWER + FASTIFY_ANSWER, 'latin1'));
    expect(first?.body.toString()).toBe('{"a":[1,2]}');
    expect(parser.leftover).toBe(Buffer.byteLength(FASTIFY_ANSWER));
    expect(parser.push(Buffer.alloc(0))?.status).toBe(200);
    expect(parser.leftover).toBe(0);
  });

  it('says the server closes for connection: close and for HTTP/1.0', () => {
    expect(
      feed('HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0\r\n\r\n', 100)[0]?.closes,
    ).toBe(true);
    expect(feed('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n', 100)[0]?.closes).toBe(true);
  });

  it('ends a body without framing when the connection ends', () => {
    const parser = new ResponseParser();
    expect(parser.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\npartial'))).toBeUndefined();
    expect(parser.push(Buffer.from(' body'))).toBeUndefined();
    expect(parser.end().body.toString()).toBe('partial body');
  });

  it('refuses a connection that ends inside a framed body, and one that ends before a head', () => {
    const cut = new ResponseParser();
    cut.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345'));
    expect(() => cut.end()).toThrow(/in the middle of a response body/);
    expect(() => new ResponseParser().end()).toThrow(/before a whole response head/);
  });

  it.each([
    [
      'a status line that is not HTTP/1.x',
      'SSH-2.0-OpenSSH\r\n\r\n',
      /not an HTTP\/1.x status line/,
    ],
    ['a header line without a name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n', /without a name/],
    [
      'a content-length that is not a number',
      'HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\n',
      /not a number/,
    ],
    [
      'a chunk size that is not hex',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n',
      /not a hex number/,
    ],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => new ResponseParser().push(Buffer.from(bytes, 'latin1'))).toThrow(
      MalformedResponse,
    );
    expect(() => new ResponseParser().push(Buffer.from(bytes, 'latin1'))).toThrow(message);
  });

  it('refuses a response head that never ends instead of buffering it', () => {
    const parser = new ResponseParser();
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\n'));
    expect(() => parser.push(Buffer.alloc(70 * 1024, 'a'))).toThrow(/response head over/);
  });

  it('returns answers to pipelined requests that came in one read one at a time, and says when the next one has begun', () => {
    const parser = new ResponseParser();
    const two = Buffer.from(FASTIFY_ANSWER + FASTIFY_ANSWER.slice(0, 20), 'latin1');
    expect(parser.push(two)?.status).toBe(200);
    expect(parser.next()).toBeUndefined();
    expect(parser.started).toBe(true);
    expect(parser.push(Buffer.from(FASTIFY_ANSWER.slice(20), 'latin1'))?.body.toString()).toBe(
      '{"a":[1,2]}',
    );
    expect(parser.next()).toBeUndefined();
    expect(parser.started).toBe(false);
  });
});
