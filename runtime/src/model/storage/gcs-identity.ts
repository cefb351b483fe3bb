import { readFile } from 'node:fs/promises';
import type { Storage } from '@google-cloud/storage';

/** A key file from the credentials Secret, and the service account it names when it is one. */
export interface GcsKey {
  readonly file: string;
  /** client_email of a service account key; undefined for other credential files. */
  readonly email: string | undefined;
}

/** Reads MODEL_GCS_CREDENTIALS_FILE once, so a broken Secret is named before any request. */
export async function readGcsKey(file: string): Promise<GcsKey> {
  const text = await readFile(file, 'utf8').catch((err: Error) => {
    throw new Error(
      `MODEL_GCS_CREDENTIALS_FILE=${file}: ${err.message}; is the Secret mounted with that key?`,
    );
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `MODEL_GCS_CREDENTIALS_FILE=${file}: not JSON; put the service account key file (gcloud iam service-accounts keys create) in the Secret`,
    );
  }
  const email = (parsed as { client_email?: unknown } | null)?.client_email;
  return { file, email: typeof email === 'string' ? email : undefined };
}

/** How long a refusal waits to learn the ambient identity (the metadata server) for its message. */
const IDENTITY_LOOKUP_MS = 2_000;

/** The identity GCS refused, as far as the client knows it (never a key or a token). */
export async function gcsIdentity(
  storage: Storage,
  settings: { readonly key: GcsKey | undefined; readonly endpoint: string | undefined },
): Promise<string> {
  if (settings.key !== undefined) {
    return settings.key.email !== undefined
      ? `service account ${settings.key.email} (key from MODEL_GCS_CREDENTIALS_FILE)`
      : `the credentials in MODEL_GCS_CREDENTIALS_FILE`;
  }
  if (settings.endpoint !== undefined) {
    return `an anonymous request (MODEL_GCS_ENDPOINT without a key Secret)`;
  }
  const email = await ambientEmail(storage);
  return email !== undefined
    ? `service account ${email} (ambient credentials)`
    : 'the ambient credentials (workload identity or GOOGLE_APPLICATION_CREDENTIALS)';
}

async function ambientEmail(storage: Storage): Promise<string | undefined> {
  const lookup = storage.authClient.getCredentials().then(
    (c) => c.client_email,
    () => undefined,
  );
  const timeout = new Promise<undefined>((resolve) => {
    setTimeout(() => resolve(undefined), IDENTITY_LOOKUP_MS).unref();
  });
  return Promise.race([lookup, timeout]);
}
