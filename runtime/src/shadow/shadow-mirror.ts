import type { Logger } from 'pino';
import { INFERENCE_HEADER_LENGTH } from '../protocol/binary-body.js';
import { answerOutputs, type MirroredProtocol, type WireAnswer } from './answer-outputs.js';
import { compareOutputs } from './compare.js';
import type { ComparedOutputs } from './compared-outputs.js';
import { mirrorHeaders, mirrorPath } from './mirror-request.js';
import { EvenSampler } from './sampler.js';
import { MAX_PIPELINED_COPIES, ShadowClient, type ShadowResponse } from './shadow-client.js';
import { ShadowUnreachable } from './shadow-connection.js';
import type { DisagreementLabel, ShadowMetrics } from './shadow-metrics.js';

/**
 * Copies picked within this long go out together, pipelined in one write on one connection
 * (ShadowClient.postAll), or sooner once a connection's worth (MAX_PIPELINED_COPIES) waits.
 * A send costs the stable pod a write, the reads of the answers and the wake-ups of the
 * shadow's CPU and then of ours, which on a virtual machine (and over a node's veth pairs)
 * cost more than the bytes; copies that travel together share them. A longer window did
 * not measurably lower the stable pod's main thread: in bench/shadow at 10 %, 20 ms windows
 * cut the shadow's CPU per copy (about 200 → 145 µs) and left the stable pod's within the
 * noise, while every copy's body and answers stayed alive four times as long. The user's
 * answer has left before the copy waits, so only the shadow's view of the request is later.
 */
export const COPY_SEND_WINDOW_MS = 5;

/** SHADOW_* settings (config/env-schema.ts). */
export interface ShadowSettings {
  /** Base URL of the shadow, e.g. http://scorer-shadow.ml.svc:8080. */
  readonly targetUrl: string;
  readonly percent: number;
  readonly tolerance: number;
  readonly maxInflight: number;
  readonly timeoutMs: number;
  /** The deployment's shadow token (SHADOW_TOKEN_FILE), sent with every copy. */
  readonly token?: string | undefined;
}

/** A request the user has had its answer to, with that answer, ready to be sent to the shadow. */
export interface AnsweredRequest {
  readonly requestId: string;
  /** The protocol of the copy, which says how to read the shadow's answer. */
  readonly protocol: MirroredProtocol;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The decoded body the copy carries. */
  readonly body: Buffer;
  /**
   * The outputs the user got; read only once the shadow has answered, so the user's request
   * never pays for it. Throws UnreadableAnswer when they cannot be read (an `error` verdict).
   */
  readonly served: () => ComparedOutputs;
}

/**
 * Sends copies of answered requests to the shadow and compares the answers. Nothing here
 * runs before the user's answer is sent, and nothing the shadow does reaches the user: a
 * copy beyond SHADOW_MAX_INFLIGHT is dropped (counted), a slow shadow is cut off after
 * SHADOW_TIMEOUT_MS, and every failure is a counted `error` verdict (or, when no connection
 * could be made, a counted unreachable copy), never an exception.
 */
export class ShadowMirror {
  private inflight = 0;
  /** Copies picked since the last send, and the timer that sends them. */
  private waiting: AnsweredRequest[] = [];
  private sendTimer: NodeJS.Timeout | undefined;
  /** One sampler for every protocol (REST and gRPC), so SHADOW_PERCENT holds over their sum. */
  private readonly sampler: EvenSampler;
  private readonly client: ShadowClient;

  constructor(
    private readonly settings: ShadowSettings,
    private readonly metrics: ShadowMetrics,
    private readonly logger: Logger,
    /** Sent as x-api-key when the deployment has API keys: the shadow asks for one too. */
    private readonly apiKey: string | undefined,
    /** How long a picked copy may wait for others to go out with (tests set it). */
    private readonly sendWindowMs = COPY_SEND_WINDOW_MS,
  ) {
    this.sampler = new EvenSampler(settings.percent);
    this.client = new ShadowClient(settings.targetUrl, settings.timeoutMs);
  }

  /** Closes the connections kept to the shadow; copies still waiting or in flight end as errors. */
  close(): void {
    this.client.close();
    if (this.sendTimer !== undefined) clearTimeout(this.sendTimer);
    this.sendWaiting();
  }

  /** Whether this request is one of the SHADOW_PERCENT to copy. */
  pick(): boolean {
    return this.sampler.pick();
  }

  /** Copies still waiting for the shadow. */
  get inFlight(): number {
    return this.inflight;
  }

  /**
   * Queues the copy for the next send, at most COPY_SEND_WINDOW_MS away (sooner once
   * MAX_PIPELINED_COPIES wait), and returns at once; never throws. Waiting copies count as in
   * flight.
   */
  send(request: AnsweredRequest): void {
    if (this.inflight >= this.settings.maxInflight) {
      this.metrics.dropped();
      return;
    }
    this.inflight++;
    this.metrics.mirrored();
    this.waiting.push(request);
    if (this.waiting.length >= MAX_PIPELINED_COPIES) {
      clearTimeout(this.sendTimer);
      this.sendWaiting();
      return;
    }
    this.sendTimer ??= setTimeout(() => this.sendWaiting(), this.sendWindowMs).unref();
  }

  private sendWaiting(): void {
    const copies = this.waiting;
    this.waiting = [];
    this.sendTimer = undefined;
    if (copies.length === 0) return;
    const started = performance.now();
    const answers = this.client.postAll(
      copies.map((request) => ({
        path: mirrorPath(request.url),
        headers: mirrorHeaders(request.headers, this.apiKey, this.settings.token),
        body: request.body,
      })),
    );
    copies.forEach((request, i) => {
      const answer = answers[i] as Promise<ShadowResponse>;
      void this.exchange(request, answer, started).finally(() => this.inflight--);
    });
  }

  private async exchange(
    request: AnsweredRequest,
    answered: Promise<ShadowResponse>,
    started: number,
  ): Promise<void> {
    let verdict: DisagreementLabel | undefined;
    try {
      const answer = wireAnswer(await answered);
      this.metrics.shadowLatency((performance.now() - started) / 1000);
      const result = compareOutputs(
        request.served(),
        answerOutputs(request.protocol, answer),
        this.settings.tolerance,
      );
      if (!result.agree) {
        verdict = result.reason;
        this.logger.debug(
          { request_id: request.requestId, reason: result.reason, detail: result.detail },
          'shadow answer disagrees',
        );
      }
    } catch (err) {
      if (err instanceof ShadowUnreachable) {
        // Not a comparison: the shadow never saw the copy (see ShadowUnreachable).
        this.metrics.unreachable();
        this.logger.debug(
          { request_id: request.requestId, err: err.message },
          'shadow unreachable',
        );
        return;
      }
      this.metrics.shadowLatency((performance.now() - started) / 1000);
      verdict = 'error';
      this.logger.debug(
        { request_id: request.requestId, err: (err as Error).message },
        'shadow gave no comparable answer',
      );
    }
    this.metrics.compared(verdict);
  }
}

/** The shadow's answer as a wire answer; throws for a status that is not a success. */
function wireAnswer({ status, headers, body }: ShadowResponse): WireAnswer {
  if (status < 200 || status >= 300) {
    throw new Error(`shadow answered ${status}: ${body.toString('utf8', 0, 200)}`);
  }
  const length = headers[INFERENCE_HEADER_LENGTH];
  return { body, jsonLength: typeof length === 'string' ? Number(length) : undefined };
}
