/** A number in [0, 1); Math.random unless a test injects a seeded source. */
export type RandomSource = () => number;

/**
 * Which answered requests get a payload record: every failure (4xx/5xx) when failures are
 * logged, and each success with probability sampleRatio (one draw per success, so the count
 * of records over n successes is binomial(n, sampleRatio)).
 */
export class PayloadSampler {
  constructor(
    private readonly sampleRatio: number,
    private readonly logFailures: boolean,
    private readonly random: RandomSource = Math.random,
  ) {}

  logs(status: number): boolean {
    if (status >= 400) return this.logFailures || this.draw();
    return this.draw();
  }

  private draw(): boolean {
    return this.sampleRatio > 0 && this.random() < this.sampleRatio;
  }
}
