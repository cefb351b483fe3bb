import net from 'node:net';
import tls from 'node:tls';
import { PipelinedCopy } from './pipelined-copy.js';
import { ShadowConnection, ShadowUnreachable, type ConnectionEvents } from './shadow-connection.js';

/** The shadow's answer to one copy. */
export interface ShadowResponse {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** One copy to post: the path below the target's base path, its headers and body. */
export interface ShadowPost {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A header line must not let a value start another line. */
const LINE_BREAK = /[\r\n]/;

/**
 * Copies pipelined on one connection at most: more go over further connections, so one
 * slow answer holds up few others and a lost connection loses few copies. The mirror sends
 * a window early once this many wait.
 */
export const MAX_PIPELINED_COPIES = 32;

/**
 * Posts copies to the shadow over kept-alive HTTP/1.1 connections (ShadowConnection): the
 * copies posted together share a connection, pipelined, up to MAX_PIPELINED_COPIES each;
 * idle connections are reused most recently used first, so idle ones age out on the
 * shadow's side. Every CPU cycle spent here comes out of the stable pod's share for its
 * users, which is why this is not node's HTTP client or fetch: measured in bench/shadow,
 * both cost the main thread several times what a copy's write and read do.
 */
export class ShadowClient implements ConnectionEvents {
  private readonly idleConnections: ShadowConnection[] = [];
  private readonly open = new Set<ShadowConnection>();
  private readonly secure: boolean;
  private readonly host: string;
  private readonly port: number;
  /** The Host header and the path prefix, from the target URL. */
  private readonly authority: string;
  private readonly basePath: string;
  private closed = false;

  constructor(
    targetUrl: string,
    private readonly timeoutMs: number,
    /** CA certificates for an https target, besides the default ones and NODE_EXTRA_CA_CERTS. */
    private readonly ca?: tls.ConnectionOptions['ca'],
  ) {
    const url = new URL(targetUrl);
    this.secure = url.protocol === 'https:';
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port === '' ? (this.secure ? 443 : 80) : Number(url.port);
    this.authority = url.host;
    this.basePath = url.pathname.replace(/\/$/, '');
  }

  /** POSTs one copy; see postAll. */
  post(
    path: string,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
  ): Promise<ShadowResponse> {
    return this.postAll([{ path, headers, body }])[0] as Promise<ShadowResponse>;
  }

  /**
   * POSTs each copy to the target's base path + its path, the copies pipelined in one write
   * per connection. Each promise resolves with any answer, or rejects with ShadowUnreachable
   * when no connection was made, else with what went wrong. A copy that a kept-alive
   * connection lost before the shadow began to answer it is sent once more on a new
   * connection; SHADOW_TIMEOUT_MS covers both tries.
   */
  postAll(posts: readonly ShadowPost[]): Promise<ShadowResponse>[] {
    if (this.closed)
      return posts.map(() => Promise.reject(new Error('the shadow client is closed (shutdown)')));
    const copies = posts.map(
      (post) =>
        new PipelinedCopy(
          requestHead(
            `${this.basePath}${post.path}`,
            this.authority,
            post.headers,
            post.body.length,
          ),
          post.body,
          (copy) => this.sendAgain(copy),
        ),
    );
    const timer = setTimeout(() => this.expire(copies), this.timeoutMs);
    let unsettled = copies.length;
    const settled = (): void => {
      if (--unsettled === 0) clearTimeout(timer);
    };
    const answers = copies.map((copy) => copy.settle(settled));
    for (let at = 0; at < copies.length; at += MAX_PIPELINED_COPIES)
      this.sendOn(
        this.idleConnections.pop() ?? this.connect(),
        copies.slice(at, at + MAX_PIPELINED_COPIES),
      );
    return answers;
  }

  /** Closes every connection (at shutdown); copies still in flight end as errors. */
  close(): void {
    this.closed = true;
    for (const connection of [...this.open]) connection.destroy();
    this.idleConnections.length = 0;
  }

  idle(connection: ShadowConnection): void {
    this.idleConnections.push(connection);
  }

  gone(connection: ShadowConnection): void {
    this.open.delete(connection);
    const at = this.idleConnections.indexOf(connection);
    if (at >= 0) this.idleConnections.splice(at, 1);
  }

  private sendOn(connection: ShadowConnection, copies: readonly PipelinedCopy[]): void {
    for (const copy of copies) copy.connection = connection;
    connection.send(copies);
  }

  /** The second try of a copy a kept-alive connection lost, on a connection of its own. */
  private sendAgain(copy: PipelinedCopy): void {
    if (this.closed) copy.failed(new Error('the shadow client is closed (shutdown)'));
    else this.sendOn(this.connect(), [copy]);
  }

  /** SHADOW_TIMEOUT_MS passed: ends the connections still carrying these copies. */
  private expire(copies: readonly PipelinedCopy[]): void {
    for (const copy of copies) {
      const connection = copy.connection;
      if (!copy.done && connection !== undefined) connection.destroy(this.timeoutError(connection));
    }
  }

  private connect(): ShadowConnection {
    const connection = this.secure
      ? new ShadowConnection(
          tls.connect({
            host: this.host,
            port: this.port,
            ...(net.isIP(this.host) === 0 ? { servername: this.host } : {}),
            ALPNProtocols: ['http/1.1'],
            ...(this.ca !== undefined
              ? { ca: [...tls.rootCertificates, ...[this.ca].flat()] }
              : {}),
          }),
          'secureConnect',
          this,
        )
      : new ShadowConnection(net.connect({ host: this.host, port: this.port }), 'connect', this);
    this.open.add(connection);
    return connection;
  }

  private timeoutError(connection: ShadowConnection): Error {
    return connection.connected
      ? new Error(`the shadow did not answer within ${this.timeoutMs} ms`)
      : new ShadowUnreachable(`no connection to the shadow within ${this.timeoutMs} ms`);
  }
}

/** The request line and headers of a copy, ready to write. */
export function requestHead(
  path: string,
  authority: string,
  headers: Readonly<Record<string, string>>,
  contentLength: number,
): string {
  let head = `POST ${path} HTTP/1.1\r\nhost: ${authority}\r\n`;
  for (const name in headers) {
    const value = headers[name];
    // Node's server already refuses such headers; a copy must never smuggle a second request.
    if (value === undefined || LINE_BREAK.test(name) || LINE_BREAK.test(value)) continue;
    if (name === 'host' || name === 'content-length') continue;
    head += `${name}: ${value}\r\n`;
  }
  return `${head}content-length: ${contentLength}\r\n\r\n`;
}
