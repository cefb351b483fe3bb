/**
 * Picks `percent` of requests, evenly spread: each request adds the percent to a running
 * sum and is picked whenever the sum passes 100. Deterministic (no randomness to make a
 * low-traffic shadow see bursts, or a test flaky), and exact over any 100/gcd requests.
 */
export class EvenSampler {
  private sum = 0;

  constructor(private readonly percent: number) {}

  pick(): boolean {
    if (this.percent <= 0) return false;
    this.sum += this.percent;
    if (this.sum < 100) return false;
    this.sum -= 100;
    return true;
  }
}
