import net from 'node:net';
import tls from 'node:tls';
import {
  ShadowConnection,
  ShadowUnreachable,
  StaleConnection,
  type ConnectionEvents,
} from './shadow-connection.js';

/** The shadow's answer to one copy. */
export interface ShadowResponse {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A header line must not let a value start another line. */
const LINE_BREAK = /[\r\n]/;

/**
 * Posts copies to the shadow over kept-alive HTTP/1.1 connections (ShadowConnection), as many
 * as copies are in flight (the mirror bounds those), the most recently used first so idle
 * ones age out on the shadow's side. Every CPU cycle spent here comes out of the stable pod's
 * share for its users, which is why this is not node's HTTP client or fetch: measured in
 * bench/shadow, both cost the main thread several times what a copy's write and read do.
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

  /**
   * POSTs `body` to the target's base path + `path`; resolves with any answer, rejects with
   * ShadowUnreachable when no connection was made, else with what went wrong. A kept-alive
   * connection the shadow had closed is replaced once; SHADOW_TIMEOUT_MS covers both tries.
   */
  post(
    path: string,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
  ): Promise<ShadowResponse> {
    if (this.closed) return Promise.reject(new Error('the shadow client is closed (shutdown)'));
    const head = requestHead(`${this.basePath}${path}`, this.authority, headers, body.length);
    return new Promise((resolve, reject) => {
      let current: ShadowConnection | undefined;
      const timer = setTimeout(() => current?.destroy(this.timeoutError(current)), this.timeoutMs);
      const attempt = (connection: ShadowConnection, reused: boolean): void => {
        current = connection;
        connection.exchange(head, body).then(
          (response) => {
            clearTimeout(timer);
            resolve(response);
          },
          (err: Error) => {
            if (reused && err instanceof StaleConnection) {
              attempt(this.connect(), false);
              return;
            }
            clearTimeout(timer);
            reject(err);
          },
        );
      };
      const idle = this.idleConnections.pop();
      attempt(idle ?? this.connect(), idle !== undefined);
    });
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
