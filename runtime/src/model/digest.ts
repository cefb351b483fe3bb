import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ModelStorageError } from './storage/storage-errors.js';

/** Hex sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class DigestMismatchError extends ModelStorageError {
  constructor(
    readonly source: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'ModelDigestMismatch',
      `model ${source}: sha256 mismatch: expected ${expected} (MODEL_SHA256), got ${actual}; ` +
        'the model file is not the one the deployment names: fix MODEL_SHA256 or the model URI',
    );
  }
}

/** Throws DigestMismatchError naming both digests when an expected digest is given and differs. */
export function checkDigest(source: string, expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual)
    throw new DigestMismatchError(source, expected, actual);
}
