import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtConfig } from '../config/index.js';

export interface JwtVerifier {
  /** Resolves with the claims, or rejects with InvalidTokenError. */
  verify(token: string): Promise<JWTPayload>;
  readonly requiredScope: string | undefined;
}

export class InvalidTokenError extends Error {}

/** Keys from a JWKS file (JWT_JWKS_FILE) or one PEM public key (JWT_PUBLIC_KEY_FILE). */
export async function createJwtVerifier(config: JwtConfig): Promise<JwtVerifier> {
  const key = await loadKey(config);
  const options = {
    algorithms: [...config.algorithms],
    ...(config.issuer !== undefined ? { issuer: config.issuer } : {}),
    ...(config.audience !== undefined ? { audience: [...config.audience] } : {}),
    ...(config.requireExpiry ? { requiredClaims: ['exp'] } : {}),
  };
  return {
    requiredScope: config.requiredScope,
    verify: async (token) => {
      try {
        const result =
          typeof key === 'function'
            ? await jwtVerify(token, key, options)
            : await jwtVerify(token, key, options);
        return result.payload;
      } catch (err) {
        throw new InvalidTokenError(describe(err as Error, config));
      }
    },
  };
}

async function loadKey(config: JwtConfig): Promise<KeyObject | JWTVerifyGetKey> {
  if (config.jwksFile !== undefined) {
    const text = await readFile(config.jwksFile, 'utf8').catch((err: Error) => {
      throw new Error(`JWT_JWKS_FILE: cannot read ${config.jwksFile}: ${err.message}`);
    });
    try {
      return createLocalJWKSet(JSON.parse(text) as Parameters<typeof createLocalJWKSet>[0]);
    } catch (err) {
      throw new Error(
        `JWT_JWKS_FILE: ${config.jwksFile} is not a JSON Web Key Set: ${(err as Error).message}`,
      );
    }
  }
  const file = config.publicKeyFile as string;
  const pem = await readFile(file, 'utf8').catch((err: Error) => {
    throw new Error(`JWT_PUBLIC_KEY_FILE: cannot read ${file}: ${err.message}`);
  });
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new Error(
      `JWT_PUBLIC_KEY_FILE: ${file} is not a PEM public key: ${(err as Error).message}`,
    );
  }
}

function describe(err: Error, config: JwtConfig): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return `token algorithm not allowed (JWT_ALGORITHMS=${config.algorithms.join(',')})`;
  }
  if (
    err instanceof errors.JWTClaimValidationFailed &&
    err.claim === 'exp' &&
    err.reason === 'missing'
  )
    return "token has no 'exp' claim (it would never expire); issue tokens with an expiry, or set JWT_REQUIRE_EXP=false";
  if (err instanceof errors.JWTClaimValidationFailed)
    return `token claim '${err.claim}' is invalid: ${err.reason}`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key in the JWKS matches the token';
  return `token is invalid: ${err.message}`;
}

/** Scopes from the `scope` claim (space separated) or `scp` (array or string). */
export function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}
