import { Storage } from '@google-cloud/storage';
import { gcsIdentity, type GcsKey } from './gcs-identity.js';
import { classifyGcsError } from './gcs-errors.js';
import { getMedia, mediaStatusError } from './gcs-media.js';
import type { OpenedObject, RemoteObject } from './remote-object.js';

export interface GcsLocation {
  readonly bucket: string;
  readonly object: string;
}

export interface GcsSettings {
  /** The service account key read from MODEL_GCS_CREDENTIALS_FILE; unset: ambient credentials. */
  readonly key: GcsKey | undefined;
  /** An emulator or a private endpoint (MODEL_GCS_ENDPOINT); unset: storage.googleapis.com. */
  readonly endpoint: string | undefined;
}

/**
 * A model in Google Cloud Storage, read with @google-cloud/storage: a service account key
 * from the credentials Secret, else the ambient credentials (GKE workload identity, the
 * metadata server, GOOGLE_APPLICATION_CREDENTIALS). The object's metadata comes first, so
 * its size is checked before the body, and the body is read at that generation so both
 * describe the same bytes (gcs-media.ts reads them). The client's own retries are off: ours
 * retry the whole download, and MODEL_SHA256 is the integrity check.
 */
export function gcsObject(where: GcsLocation, settings: GcsSettings): RemoteObject {
  const storage = new Storage({
    ...(settings.endpoint !== undefined ? { apiEndpoint: settings.endpoint } : {}),
    ...(settings.key !== undefined ? { keyFilename: settings.key.file } : {}),
    // An emulator takes no credentials; a private endpoint with a key Secret gets them.
    useAuthWithCustomEndpoint: settings.key !== undefined,
    retryOptions: { autoRetry: false },
  });
  // A service account key signs its own token (a self-signed JWT, as Google's generated
  // clients do): no exchange with the OAuth endpoint before the download.
  storage.authClient.useJWTAccessWithScope = true;
  const location = `gs://${where.bucket}/${where.object}`;
  const identity = (): Promise<string> => gcsIdentity(storage, settings);
  return {
    location,
    open: (signal) => open(storage, where, location, signal, identity),
  };
}

async function open(
  storage: Storage,
  where: GcsLocation,
  location: string,
  signal: AbortSignal,
  identity: () => Promise<string>,
): Promise<OpenedObject> {
  const fail = async (err: unknown): Promise<never> => {
    throw await classifyGcsError(err, where, location, identity);
  };
  const file = storage.bucket(where.bucket).file(where.object);
  const [metadata] = await abortable(file.getMetadata(), signal).catch(fail);
  const size = Number(metadata.size);
  const generation = metadata.generation === undefined ? undefined : String(metadata.generation);
  const response = await getMedia(storage, where, generation, signal).catch(fail);
  if (response.statusCode !== 200) return fail(mediaStatusError(response));
  return {
    size: Number.isFinite(size) ? size : undefined,
    body: response,
    discard: () => response.destroy(),
  };
}

/** The client takes no signal for metadata: the attempt ends at the deadline all the same. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
