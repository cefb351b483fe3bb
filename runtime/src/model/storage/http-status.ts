import { accessDenied, notFound, RetryableDownloadError } from './storage-errors.js';

/**
 * The error for a status other than 200: 401/403 and 404/410 are final and typed, 5xx, 408
 * and 429 may pass on another attempt, anything else is final and untyped.
 */
export function statusError(location: string, status: number, identity: string): Error {
  const message = `${location}: HTTP ${status}`;
  if (status === 401 || status === 403) {
    return accessDenied(
      `${message}: access denied to ${identity}; check the credentials Secret and the server's access rules`,
    );
  }
  if (status === 404 || status === 410) {
    return notFound(`${message}: no such model; check spec.model.uri`);
  }
  if (status >= 500 || status === 408 || status === 429) return new RetryableDownloadError(message);
  return new Error(`${message}; check spec.model.uri and the server's access rules`);
}
