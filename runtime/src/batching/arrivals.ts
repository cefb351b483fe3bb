/**
 * Counts inference requests that were received but whose body is still arriving, so the
 * batcher knows whether waiting for BATCH_MAX_DELAY_MS can gather anything.
 */
export class ArrivalTracker {
  private receiving = 0;

  /** Requests on their way to the batcher. */
  get pending(): number {
    return this.receiving;
  }

  arrived(): void {
    this.receiving++;
  }

  /** The request reached its handler, or was answered before it (error, auth, limit). */
  left(): void {
    if (this.receiving > 0) this.receiving--;
  }
}
