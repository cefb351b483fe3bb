import { Agent } from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { OpenedObject, RemoteObject } from './remote-object.js';
import { accessDenied, notFound, RetryableDownloadError } from './storage-errors.js';

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

export interface S3Settings {
  /** MODEL_S3_REGION, else the SDK's own (AWS_REGION), else us-east-1 for a custom endpoint. */
  readonly region: string | undefined;
  /** MinIO, Ceph, R2, a test server: e.g. http://127.0.0.1:7070. */
  readonly endpoint: string | undefined;
  /** bucket in the path (http://host/bucket/key) instead of the host name. */
  readonly forcePathStyle: boolean;
  /** PEM certificates trusted in addition to the public roots. */
  readonly caBundle: string | undefined;
}

const NOT_FOUND = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);

/**
 * A model in S3 or an S3-compatible store, read with the AWS SDK's default credential
 * chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) from a Secret, web
 * identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, which EKS injects for IRSA), EKS Pod
 * Identity or the instance role. The SDK's own retries are off: ours retry the whole
 * download, body included, and only what another attempt can fix.
 */
export function s3Object(where: S3Location, settings: S3Settings): RemoteObject {
  const client = new S3Client({
    ...regionSetting(settings),
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: 1,
    // The SDK's CRC check of every body runs in JS and halved the download rate; the
    // model's integrity check is MODEL_SHA256, computed while streaming.
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(settings.caBundle !== undefined
      ? {
          requestHandler: {
            httpsAgent: new Agent({ ca: [...rootCertificates, settings.caBundle] }),
          },
        }
      : {}),
  });
  const location = `s3://${where.bucket}/${where.key}`;
  return {
    location,
    open: (signal) => open(client, where, location, signal),
  };
}

function regionSetting(settings: S3Settings): { region?: string } {
  if (settings.region !== undefined) return { region: settings.region };
  if (process.env['AWS_REGION'] !== undefined || process.env['AWS_DEFAULT_REGION'] !== undefined)
    return {};
  // S3-compatible stores mostly ignore the region but SigV4 needs one.
  return { region: 'us-east-1' };
}

async function open(
  client: S3Client,
  where: S3Location,
  location: string,
  signal: AbortSignal,
): Promise<OpenedObject> {
  try {
    const response = await client.send(
      new GetObjectCommand({ Bucket: where.bucket, Key: where.key }),
      { abortSignal: signal },
    );
    const body = response.Body;
    if (!(body instanceof Readable)) {
      throw new RetryableDownloadError(`${location}: the response has no body to read`);
    }
    return { size: response.ContentLength, body, discard: () => body.destroy() };
  } catch (err) {
    throw await classify(err, client, where, location);
  }
}

async function classify(
  err: unknown,
  client: S3Client,
  where: S3Location,
  location: string,
): Promise<Error> {
  const error = err instanceof Error ? err : new Error(String(err));
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return error;
  if (error.name === 'CredentialsProviderError') {
    return accessDenied(
      `${location}: no AWS credentials found (${error.message}); set spec.model.credentials or a ServiceAccount with a role (IRSA)`,
    );
  }
  if (!(error instanceof S3ServiceException)) {
    return new RetryableDownloadError(`${location}: ${error.message}`, { cause: error });
  }
  const status = error.$metadata.httpStatusCode ?? 0;
  if (NOT_FOUND.has(error.name) || status === 404) {
    return notFound(
      `${location}: ${error.name}: no object '${where.key}' in bucket '${where.bucket}' (HTTP ${status}); check spec.model.uri`,
    );
  }
  if (status === 401 || status === 403) {
    return accessDenied(
      `${location}: ${error.name} (HTTP ${status}): access denied to ${await identity(client)}; ${error.message}`,
    );
  }
  if (status >= 500 || status === 408 || status === 429 || status === 0) {
    return new RetryableDownloadError(
      `${location}: ${error.name} (HTTP ${status}): ${error.message}`,
    );
  }
  return new Error(`${location}: ${error.name} (HTTP ${status}): ${error.message}`);
}

/** The identity S3 refused, as far as the SDK knows it (never the secret key). */
async function identity(client: S3Client): Promise<string> {
  const role = process.env['AWS_ROLE_ARN'];
  const credentials = await client.config.credentials().catch(() => undefined);
  const key = credentials ? `access key id ${credentials.accessKeyId}` : 'unknown credentials';
  return role !== undefined ? `${key} (web identity, role ${role})` : key;
}
