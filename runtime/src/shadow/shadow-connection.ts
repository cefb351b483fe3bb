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

/** One copy on a connection: its request, and where its answer or failure goes. */
export interface Outgoing {
  /** The request line and headers. */
  readonly head: string;
  readonly body: Buffer;
  /** The whole answer has arrived. */
  answered(response: ParsedResponse): void;
  /**
   * No (whole) answer: StaleConnection when the copy may be sent again, ShadowUnreachable
   * when no connection was made, else what went wrong.
   */
  failed(err: Error): void;
}

/** What the pool learns from a connection. */
export interface ConnectionEvents {
  /** Every answer is in and the connection may carry the next copies. */
  idle(connection: ShadowConnection): void;
  /** The connection is closed; forget it. */
  gone(connection: ShadowConnection): void;
}

/**
 * One connection to the shadow carrying one send window's copies at a time, pipelined: all
 * of them go out in a single write and their answers are read in order with ResponseParser.
 * A copy costs the stable pod's main thread its share of one write and of one read, where a
 * connection per copy cost a write, a read and an event-loop wake-up each, and node's HTTP
 * client added request and response objects, stream machinery and a dozen listeners.
 *
 * RFC 9112 9.3.2 asks a client not to pipeline after a non-idempotent request unless it can
 * recover from partial failure: a copy is fire-and-forget, and a copy the connection lost is
 * a counted error (or sent once more when the shadow had not begun to answer it).
 */
export class ShadowConnection {
  private readonly parser = new ResponseParser();
  /** Copies sent and not yet answered, in the order they were written. */
  private queue: Outgoing[] = [];
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

  /** Sends the copies in one write; each learns of its answer through its own callbacks. */
  send(copies: readonly Outgoing[]): void {
    if (this.queue.length > 0)
      throw new Error('a shadow connection carries one window of copies at a time');
    this.queue = [...copies];
    this.socket.ref();
    this.socket.cork();
    for (const copy of copies) {
      this.socket.write(copy.head, 'latin1');
      this.socket.write(copy.body);
    }
    this.socket.uncork();
  }

  /** Ends the connection; the copies on it fail with `err`. */
  destroy(err?: Error): void {
    const queued = this.queue;
    this.queue = [];
    this.socket.destroy();
    for (const copy of queued) copy.failed(err ?? new Error('the shadow connection was closed'));
  }

  private onData(data: Buffer): void {
    if (this.queue.length === 0) {
      // An answer nobody asked for: the connection cannot be trusted with the next copies.
      this.destroy();
      return;
    }
    let response: ParsedResponse | undefined;
    try {
      response = this.parser.push(data);
      while (response !== undefined) {
        if (!this.complete(response)) return;
        response = this.parser.next();
      }
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  /** Hands the answer to the first copy in line; false when the connection is done with. */
  private complete(response: ParsedResponse): boolean {
    const copy = this.queue.shift() as Outgoing;
    this.answered++;
    copy.answered(response);
    if (response.closes) {
      // The copies behind it were not answered and may be sent again (onClose).
      this.socket.destroy();
      return false;
    }
    if (this.queue.length > 0) return true;
    if (this.parser.leftover > 0) this.destroy();
    else {
      this.socket.unref();
      this.events.idle(this);
    }
    return false;
  }

  private onClose(): void {
    this.events.gone(this);
    const queued = this.queue;
    this.queue = [];
    const first = queued.shift();
    if (first === undefined) return;
    if (this.parser.started) {
      try {
        first.answered(this.parser.end());
      } catch (err) {
        first.failed(err as Error);
      }
    } else first.failed(this.closedError());
    for (const copy of queued) copy.failed(this.closedError());
  }

  /** Why the connection closed with no answer at all to a copy. */
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
