/**
 * Why a model could not be fetched, as a reason a program can match on. The runtime writes
 * it at the start of its termination message ("ModelAccessDenied: …") and the operator
 * copies it into the ModelDeployment's Ready condition.
 */
export const STORAGE_FAILURE_REASONS = [
  'ModelNotFound',
  'ModelAccessDenied',
  'ModelDigestMismatch',
] as const;
export type StorageFailureReason = (typeof STORAGE_FAILURE_REASONS)[number];

/** A failure another attempt cannot fix, with its reason. */
export class ModelStorageError extends Error {
  constructor(
    readonly reason: StorageFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A failure another attempt may fix: a reset, a timeout, a 5xx, 408 or 429. */
export class RetryableDownloadError extends Error {}

export const notFound = (message: string): ModelStorageError =>
  new ModelStorageError('ModelNotFound', message);

export const accessDenied = (message: string): ModelStorageError =>
  new ModelStorageError('ModelAccessDenied', message);

/** The reason of the first ModelStorageError in an error's cause chain. */
export function storageReason(err: unknown): StorageFailureReason | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof ModelStorageError) return e.reason;
    e = e.cause;
  }
  return undefined;
}
