import type { ShadowResponse } from './shadow-client.js';
import { StaleConnection, type Outgoing, type ShadowConnection } from './shadow-connection.js';

/**
 * One copy on its way: settles its promise once, and asks to be sent again (once) when a
 * kept-alive connection lost it before the shadow began to answer.
 */
export class PipelinedCopy implements Outgoing {
  /** The connection carrying it now. */
  connection: ShadowConnection | undefined;
  done = false;
  private retried = false;
  private resolve: (response: ShadowResponse) => void = () => undefined;
  private reject: (err: Error) => void = () => undefined;
  private onSettled: () => void = () => undefined;

  constructor(
    readonly head: string,
    readonly body: Buffer,
    private readonly sendAgain: (copy: PipelinedCopy) => void,
  ) {}

  /** The promise of its answer; `settled` runs once it resolves or rejects. */
  settle(settled: () => void): Promise<ShadowResponse> {
    this.onSettled = settled;
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  answered(response: ShadowResponse): void {
    if (this.finish()) this.resolve(response);
  }

  failed(err: Error): void {
    if (err instanceof StaleConnection && !this.retried && !this.done) {
      this.retried = true;
      this.sendAgain(this);
      return;
    }
    if (this.finish()) this.reject(err);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    this.connection = undefined;
    this.onSettled();
    return true;
  }
}
