import type net from 'node:net';
import { ResponseParser, type ParsedResponse } from './response-parser.js';

/**
 * The copy never got to the shadow: no connection could be made (refused, no DNS answer, no
 * route, or the deadline passed while connecting). Nothing was compared, so it is not a
 * disagreement: right after a shadow turns Ready, kube-proxy may not route its Service yet.
 */
export class ShadowUnreachable extends Error {}

/**
 * A kept-alive connection ended before any byte of the answer came back: the shadow had
 * closed it while idle (its keep-alive timeout, a restart). The copy may be sent again on a
 * new connection, as HTTP clients do for requests that were never answered.
 */
export class StaleConnection extends Error {}

/** Errors that happen before a connection exists, so the shadow never saw the copy. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

interface Pending {
  readonly resolve: (response: ParsedResponse) => void;
  readonly reject: (err: Error) => void;
  /** Whether any byte of the answer has arrived. */
  answering: boolean;
}

/** What the pool learns from a connection. */
export interface ConnectionEvents {
  /** The answer is in and the connection may carry the next copy. */
  idle(connection: ShadowConnection): void;
  /** The connection is closed; forget it. */
  gone(connection: ShadowConnection): void;
}

/**
 * One connection to the shadow carrying one copy at a time: the request goes out in a
 * single write and the answer is read with ResponseParser. A copy costs the stable pod's
 * main thread a write, a read and this parse, where node's HTTP client added a request and
 * a response object, stream machinery and a dozen event listeners per exchange.
 */
export class ShadowConnection {
  private readonly parser = new ResponseParser();
  private pending: Pending | undefined;
  private lastError: NodeJS.ErrnoException | undefined;
  private isConnected = false;
  /** Answers this connection has carried; a reused one may have been closed while idle. */
  private answered = 0;

  constructor(
    private readonly socket: net.Socket,
    /** 'connect' for TCP, 'secureConnect' for TLS. */
    connectEvent: 'connect' | 'secureConnect',
    private readonly events: ConnectionEvents,
  ) {
    socket.setNoDelay(true);
    socket.once(connectEvent, () => (this.isConnected = true));
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err: NodeJS.ErrnoException) => (this.lastError = err));
    socket.once('close', () => this.onClose());
  }

  /** Whether the TCP (and TLS) connection is established. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Sends one request (its head and body) and resolves with the whole answer. */
  exchange(head: string, body: Buffer): Promise<ParsedResponse> {
    if (this.pending !== undefined)
      throw new Error('a shadow connection carries one copy at a time');
    this.socket.ref();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, answering: false };
      this.socket.cork();
      this.socket.write(head, 'latin1');
      this.socket.write(body);
      this.socket.uncork();
    });
  }

  /** Ends the connection; a copy on it fails with `err`. */
  destroy(err?: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    this.socket.destroy();
    if (pending !== undefined) pending.reject(err ?? new Error('the shadow connection was closed'));
  }

  private onData(data: Buffer): void {
    const pending = this.pending;
    if (pending === undefined) {
      this.destroy();
      return;
    }
    pending.answering = true;
    let response: ParsedResponse | undefined;
    try {
      response = this.parser.push(data);
    } catch (err) {
      this.destroy(err as Error);
      return;
    }
    if (response !== undefined) this.complete(pending, response);
  }

  private complete(pending: Pending, response: ParsedResponse): void {
    this.pending = undefined;
    this.answered++;
    if (response.closes || this.parser.leftover > 0) this.socket.destroy();
    else {
      this.socket.unref();
      this.events.idle(this);
    }
    pending.resolve(response);
  }

  private onClose(): void {
    this.events.gone(this);
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    try {
      if (pending.answering) {
        pending.resolve(this.parser.end());
        return;
      }
    } catch (err) {
      pending.reject(err as Error);
      return;
    }
    pending.reject(this.closedError());
  }

  /** Why the connection closed with no answer at all. */
  private closedError(): Error {
    const code = this.lastError?.code ?? '';
    if (!this.isConnected && (CONNECT_ERRORS.has(code) || this.lastError === undefined))
      return new ShadowUnreachable(`cannot connect to the shadow: ${code || 'connection closed'}`);
    if (this.answered > 0)
      return new StaleConnection(
        `the kept-alive connection to the shadow was closed (${code || 'end of stream'})`,
      );
    return new Error(
      `the shadow closed the connection without answering (${code || 'end of stream'})`,
    );
  }
}
