import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Storage } from '@google-cloud/storage';
import type { GcsLocation } from './gcs-object.js';

/**
 * The object's bytes at one generation, through Node's own http client. The client library's
 * read stream pipes the response without its errors, so a connection reset half-way
 * through the body left the download waiting until MODEL_DOWNLOAD_TIMEOUT_MS instead of
 * retrying; an IncomingMessage ends or fails. The library still authenticates the request.
 */
export async function getMedia(
  storage: Storage,
  where: GcsLocation,
  generation: string | undefined,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const url = new URL(
    `${storage.baseUrl}/b/${encodeURIComponent(where.bucket)}/o/${encodeURIComponent(where.object)}`,
  );
  url.searchParams.set('alt', 'media');
  if (generation !== undefined) url.searchParams.set('generation', generation);
  const headers = authenticates(storage)
    ? await storage.authClient.getRequestHeaders(url.href)
    : {};
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', signal, headers: { ...headers } });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
}

/** As the library decides: an emulator's endpoint gets credentials only when asked to. */
const authenticates = (storage: Storage): boolean =>
  !storage.customEndpoint || storage.useAuthWithCustomEndpoint === true;

/** A non-200 answer as the library's errors look (an HTTP status in `code`), body discarded. */
export function mediaStatusError(response: IncomingMessage): Error {
  response.resume();
  const status = response.statusCode ?? 0;
  return Object.assign(new Error(`HTTP ${status} ${response.statusMessage ?? ''}`.trim()), {
    code: status,
  });
}
