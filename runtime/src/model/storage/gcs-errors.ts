import { accessDenied, notFound, RetryableDownloadError } from './storage-errors.js';

/** What the client answers when it found no credentials at all (no Secret, no metadata server). */
const NO_CREDENTIALS = /Could not load the default credentials|Unable to detect a Project Id/i;

interface GcsWhere {
  readonly bucket: string;
  readonly object: string;
}

/**
 * The typed error for a failed GCS request: 404 names bucket and object, 401/403 the
 * identity refused, 5xx, 408, 429 and network failures may pass on another attempt.
 */
export async function classifyGcsError(
  err: unknown,
  where: GcsWhere,
  location: string,
  identity: () => Promise<string>,
): Promise<Error> {
  const error = err instanceof Error ? err : new Error(String(err));
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number') {
    if (NO_CREDENTIALS.test(error.message)) {
      return accessDenied(
        `${location}: no Google credentials found (${error.message}); set spec.model.credentials to a service account key Secret or use GKE workload identity (spec.runtime.serviceAccountName)`,
      );
    }
    return new RetryableDownloadError(`${location}: ${error.message}`, { cause: error });
  }
  if (code === 404) {
    return notFound(
      `${location}: no object '${where.object}' in bucket '${where.bucket}' (HTTP 404); check spec.model.uri`,
    );
  }
  if (code === 401 || code === 403) {
    return accessDenied(
      `${location}: HTTP ${code}: access denied to ${await identity()}; grant it roles/storage.objectViewer on the bucket (${error.message})`,
    );
  }
  if (code >= 500 || code === 408 || code === 429) {
    return new RetryableDownloadError(`${location}: HTTP ${code}: ${error.message}`);
  }
  return new Error(`${location}: HTTP ${code}: ${error.message}`);
}
