import { Storage, type File } from '@google-cloud/storage';
import type { Readable } from 'node:stream';
import { gcsIdentity, type GcsKey } from './gcs-identity.js';
import { classifyGcsError } from './gcs-errors.js';
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
 * describe the same bytes. The client's own retries and hash checks are off: ours retry the
 * whole download and MODEL_SHA256 is the integrity check.
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
  const generation = metadata.generation;
  const pinned: File =
    generation === undefined
      ? file
      : storage.bucket(where.bucket).file(where.object, { generation });
  const stream = pinned.createReadStream({ validation: false, decompress: false });
  const stop = (): void => {
    stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal.addEventListener('abort', stop, { once: true });
  return {
    size: Number.isFinite(size) ? size : undefined,
    body: classified(stream, fail, () => signal.removeEventListener('abort', stop)),
    discard: () => stream.destroy(),
  };
}

/** The body's chunks; a 403 or 404 answered to the media request keeps its reason. */
async function* classified(
  stream: Readable,
  fail: (err: unknown) => Promise<never>,
  done: () => void,
): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (err) {
    if (isHttpError(err)) await fail(err);
    throw err;
  } finally {
    done();
  }
}

const isHttpError = (err: unknown): boolean =>
  typeof (err as { code?: unknown } | null)?.code === 'number';

/** The client takes no signal for metadata: the attempt ends at the deadline all the same. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
