import type { IncomingHttpHeaders } from 'node:http';
import type { RuntimeConfig } from '../config/index.js';
import { HttpError } from '../errors.js';
import { SHADOW_MARKER_HEADER, SHADOW_TOKEN_HEADER } from '../shadow/mirror-request.js';
import { ApiKeyVerifier } from './api-keys.js';
import { createJwtVerifier, InvalidTokenError, tokenScopes, type JwtVerifier } from './jwt.js';

export interface Authenticator {
  /** Resolves when the request carries acceptable credentials; rejects with 401 or 403. */
  authenticate(headers: IncomingHttpHeaders): Promise<void>;
}

const REALM = 'Bearer realm="modeldeploy"';

const unauthorized = (description: string, error?: 'invalid_token'): HttpError =>
  new HttpError(401, `unauthorized: ${description}`, {
    'www-authenticate':
      error === undefined
        ? REALM
        : `${REALM}, error="${error}", error_description="${description}"`,
  });

/**
 * API keys (`x-api-key: <key>` or `Authorization: Bearer <key>`) and JWT bearer tokens;
 * when both are configured either is accepted. Undefined when no auth is configured. On a
 * shadow pod with a shadow token, a mirrored copy (marker header) carrying that token is
 * accepted too: the marker alone never is.
 */
export async function createAuthenticator(
  auth: RuntimeConfig['auth'],
): Promise<Authenticator | undefined> {
  const keys = auth.apiKeys.length > 0 ? new ApiKeyVerifier(auth.apiKeys) : undefined;
  const jwt = auth.jwt !== undefined ? await createJwtVerifier(auth.jwt) : undefined;
  if (keys === undefined && jwt === undefined) return undefined;
  const shadow =
    auth.shadowToken !== undefined ? new ApiKeyVerifier([auth.shadowToken]) : undefined;
  return {
    authenticate: async (headers) => {
      if (shadow !== undefined && isTokenedCopy(headers, shadow)) return;
      await check(headers, keys, jwt);
    },
  };
}

/** A copy from a stable pod of this deployment: the marker and the deployment's shadow token. */
function isTokenedCopy(headers: IncomingHttpHeaders, shadow: ApiKeyVerifier): boolean {
  const token = headers[SHADOW_TOKEN_HEADER];
  if (headers[SHADOW_MARKER_HEADER] === undefined || typeof token !== 'string') return false;
  if (shadow.matches(token)) return true;
  throw unauthorized('invalid shadow token');
}

async function check(
  headers: IncomingHttpHeaders,
  keys: ApiKeyVerifier | undefined,
  jwt: JwtVerifier | undefined,
): Promise<void> {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) {
    if (keys?.matches(apiKey)) return;
    throw unauthorized('invalid API key');
  }
  const authorization = headers.authorization;
  const match =
    typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (match === null) {
    throw unauthorized(
      typeof authorization === 'string'
        ? 'Authorization must be "Bearer <token>"'
        : 'missing credentials: send an API key (x-api-key) or a bearer token',
    );
  }
  const token = match[1] as string;
  if (keys?.matches(token)) return;
  if (jwt === undefined) throw unauthorized('invalid API key', 'invalid_token');
  await checkToken(jwt, token);
}

async function checkToken(jwt: JwtVerifier, token: string): Promise<void> {
  let payload;
  try {
    payload = await jwt.verify(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw unauthorized(err.message, 'invalid_token');
    throw err;
  }
  if (jwt.requiredScope !== undefined && !tokenScopes(payload).includes(jwt.requiredScope)) {
    throw new HttpError(
      403,
      `forbidden: the token lacks the required scope '${jwt.requiredScope}'`,
      {
        'www-authenticate': `${REALM}, error="insufficient_scope", scope="${jwt.requiredScope}"`,
      },
    );
  }
}
