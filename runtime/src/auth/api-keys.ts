import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks a presented key against the configured ones in constant time: both sides are
 * compared as sha256 digests (equal length), and every configured key is compared.
 */
export class ApiKeyVerifier {
  private readonly digests: readonly Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get size(): number {
    return this.digests.length;
  }

  matches(candidate: string): boolean {
    const presented = digest(candidate);
    let found = false;
    for (const d of this.digests) found = timingSafeEqual(d, presented) || found;
    return found;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
