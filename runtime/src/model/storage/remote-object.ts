import type { Readable } from 'node:stream';

/** One model file in a store (an https server, an S3 bucket), as the download core sees it. */
export interface RemoteObject {
  /** Where it is, safe for logs and messages (no credentials, no signed query). */
  readonly location: string;
  /**
   * Starts reading it. Throws ModelStorageError (401/403, 404) or RetryableDownloadError
   * (reset, 5xx); a failure while the body streams is retryable.
   */
  open(signal: AbortSignal): Promise<OpenedObject>;
}

/** An object whose response has arrived and whose body has not been read yet. */
export interface OpenedObject {
  /** From the response's metadata (Content-Length), when the store says. */
  readonly size: number | undefined;
  /** Read in flowing mode and paused while the hashing thread falls behind (stream-to-file.ts). */
  readonly body: Readable;
  /** Drops the body unread (the object is refused before its download). */
  discard(): void;
}
