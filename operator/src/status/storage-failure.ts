/**
 * The reasons the runtime puts at the start of its termination message when it cannot
 * fetch its model (runtime/src/model/storage/storage-errors.ts), e.g.
 * "ModelAccessDenied: model 'iris' version '2' failed to load: s3://…". They become the
 * Ready condition's reason, so a program can tell a refused credential from a typo.
 */
export const STORAGE_FAILURE_REASONS = [
  'ModelNotFound',
  'ModelAccessDenied',
  'ModelDigestMismatch',
] as const;
export type StorageFailureReason = (typeof STORAGE_FAILURE_REASONS)[number];

/** The reason a termination message leads with, if it is one of ours. */
export function storageFailureReason(message: string): StorageFailureReason | undefined {
  return STORAGE_FAILURE_REASONS.find((reason) => message.startsWith(`${reason}: `));
}
