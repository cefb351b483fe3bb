import http from 'node:http';
import https from 'node:https';

/** The shadow's answer to one copy. */
export interface ShadowResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * The copy never got to the shadow: no connection could be made (refused, no DNS answer, no
 * route, or the deadline passed while connecting). Nothing was compared, so it is not a
 * disagreement: right after a shadow turns Ready, kube-proxy may not route its Service yet.
 */
export class ShadowUnreachable extends Error {}

/** Errors that happen before a connection exists, so the shadow never saw the copy. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

/**
 * Posts copies to the shadow over kept-alive connections. Node's fetch costs several times
 * more CPU per exchange (web streams, an AbortSignal, Request and Response objects), and on
 * the stable pod that CPU comes out of the users' share; this is node:http with a pooled
 * agent and one timer per copy.
 */
export class ShadowClient {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly base: URL;

  constructor(
    targetUrl: string,
    /** Sockets kept to the shadow: as many as copies may be in flight. */
    maxSockets: number,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(targetUrl);
    const secure = this.base.protocol === 'https:';
    const options: http.AgentOptions = {
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      scheduling: 'lifo',
    };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
    this.request = secure ? https.request : http.request;
  }

  /**
   * POSTs `body` to the target's base path + `path`; resolves with any answer, rejects with
   * ShadowUnreachable when no connection was made, else with what went wrong.
   */
  post(path: string, headers: Record<string, string>, body: Buffer): Promise<ShadowResponse> {
    return new Promise((resolve, reject) => {
      let connected = false;
      const req = this.request({
        agent: this.agent,
        protocol: this.base.protocol,
        hostname: this.base.hostname,
        port: this.base.port,
        path: `${this.base.pathname.replace(/\/$/, '')}${path}`,
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
      });
      const timer = setTimeout(() => {
        req.destroy(
          connected
            ? new Error(`the shadow did not answer within ${this.timeoutMs} ms`)
            : new ShadowUnreachable(`no connection to the shadow within ${this.timeoutMs} ms`),
        );
      }, this.timeoutMs);
      req.once('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const refused = !connected && CONNECT_ERRORS.has(err.code ?? '');
        reject(refused ? unreachableError(err) : err);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
        res.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      req.end(body);
    });
  }

  /** Closes the kept-alive connections (at shutdown). */
  close(): void {
    this.agent.destroy();
  }
}

function unreachableError(err: NodeJS.ErrnoException): ShadowUnreachable {
  return new ShadowUnreachable(`cannot connect to the shadow: ${err.code ?? err.message}`);
}
