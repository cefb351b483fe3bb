import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { redact } from './redact.js';
import type { OpenedObject, RemoteObject } from './remote-object.js';
import { statusError } from './http-status.js';
import { RetryableDownloadError } from './storage-errors.js';

/** Credentials for an https:// model server, read from the Secret's mounted files. */
export type HttpAuth =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

export interface HttpSettings {
  readonly auth: HttpAuth | undefined;
  /** PEM certificates trusted in addition to the public roots. */
  readonly caBundle: string | undefined;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** TLS codes Node gives a server certificate it cannot trust. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** A model at an http(s):// URL, fetched with node's own client so a CA bundle applies per request. */
export function httpsObject(url: string, settings: HttpSettings): RemoteObject {
  const location = redact(url);
  return {
    location,
    open: (signal) => follow(new URL(url), settings, signal, location, 0),
  };
}

async function follow(
  url: URL,
  settings: HttpSettings,
  signal: AbortSignal,
  location: string,
  redirects: number,
): Promise<OpenedObject> {
  const response = await get(url, settings, signal, location);
  const status = response.statusCode ?? 0;
  const next = response.headers.location;
  if (REDIRECTS.has(status) && next !== undefined && redirects < MAX_REDIRECTS) {
    response.resume();
    const target = new URL(next, url);
    // Credentials are for the server the URI names, not for wherever it redirects (a CDN).
    const keep = target.origin === url.origin ? settings : { ...settings, auth: undefined };
    return follow(target, keep, signal, location, redirects + 1);
  }
  if (status !== 200) {
    response.resume();
    throw statusError(location, status, identity(settings.auth));
  }
  const length = Number(response.headers['content-length'] ?? NaN);
  return {
    size: Number.isFinite(length) ? length : undefined,
    body: response,
    discard: () => response.destroy(),
  };
}

function get(
  url: URL,
  settings: HttpSettings,
  signal: AbortSignal,
  location: string,
): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      signal,
      headers: authHeaders(settings.auth),
      ...(settings.caBundle !== undefined ? { ca: [...rootCertificates, settings.caBundle] } : {}),
    });
    req.on('response', resolve);
    req.on('error', (err) => reject(connectionError(err, location)));
    req.end();
  });
}

function authHeaders(auth: HttpAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  const pair = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return { authorization: `Basic ${pair}` };
}

/** Who was refused, without the secret itself. */
function identity(auth: HttpAuth | undefined): string {
  if (auth === undefined) return 'an anonymous request (no credentials configured)';
  if (auth.kind === 'bearer') return 'the bearer token from MODEL_HTTP_BEARER_TOKEN_FILE';
  return `user '${auth.username}' (basic auth)`;
}

/** An untrusted certificate fails the same way every time; resets and refusals may pass. */
function connectionError(err: Error, location: string): Error {
  if (err.name === 'AbortError') return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code)) {
    return new Error(
      `${location}: ${err.message} (a private CA? set spec.model.caBundle, i.e. MODEL_CA_BUNDLE_FILE, or NODE_EXTRA_CA_CERTS to its PEM file)`,
    );
  }
  return new RetryableDownloadError(`${location}: ${err.message}`, { cause: err });
}
