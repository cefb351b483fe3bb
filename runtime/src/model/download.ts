import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { checkDigest, sha256File } from './digest.js';

export interface DownloadOptions {
  readonly url: string;
  readonly cacheDir: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly retries: number;
  readonly expectedSha256: string | undefined;
  /** First back-off delay; it doubles each attempt (capped at 30 s). */
  readonly backoffBaseMs?: number;
  readonly onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

export interface DownloadResult {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly fromCache: boolean;
}

/** A failure that another attempt may fix (network error, timeout, 5xx, 408, 429). */
class RetryableError extends Error {}

/** Downloads a model over http(s) into the cache, with timeout, size limit, retries and sha256. */
export async function downloadModel(options: DownloadOptions): Promise<DownloadResult> {
  await mkdir(options.cacheDir, { recursive: true });
  const cached = await fromCache(options);
  if (cached !== undefined) return cached;
  const base = options.backoffBaseMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    try {
      return await downloadOnce(options);
    } catch (err) {
      if (!(err instanceof RetryableError) || attempt >= options.retries) {
        const tries = attempt + 1;
        throw new Error(
          `${(err as Error).message} (after ${tries} attempt${tries === 1 ? '' : 's'})`,
          { cause: err },
        );
      }
      const delay = Math.min(30_000, base * 2 ** attempt);
      options.onRetry?.(attempt + 1, delay, err);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function fromCache(options: DownloadOptions): Promise<DownloadResult | undefined> {
  if (options.expectedSha256 === undefined) return undefined;
  const path = join(options.cacheDir, `sha256-${options.expectedSha256}.onnx`);
  if (!existsSync(path)) return undefined;
  const digest = await sha256File(path);
  if (digest !== options.expectedSha256) {
    await rm(path, { force: true });
    return undefined;
  }
  return { path, sha256: digest, bytes: (await stat(path)).size, fromCache: true };
}

async function downloadOnce(options: DownloadOptions): Promise<DownloadResult> {
  const where = `model download ${redact(options.url)}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const tmp = join(options.cacheDir, `.download-${randomUUID()}`);
  try {
    const response = await fetch(options.url, { signal, redirect: 'follow' }).catch(
      (err: Error) => {
        throw new RetryableError(`${where}: ${describeFetchError(err, options.timeoutMs)}`);
      },
    );
    checkStatus(where, response.status);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > options.maxBytes) {
      throw new Error(
        `${where}: ${declared} bytes is more than MODEL_MAX_BYTES=${options.maxBytes}`,
      );
    }
    const { sha256, bytes } = await streamToFile(response, tmp, options, where);
    checkDigest(redact(options.url), options.expectedSha256, sha256);
    const path = join(options.cacheDir, `sha256-${sha256}.onnx`);
    await rename(tmp, path);
    return { path, sha256, bytes, fromCache: false };
  } finally {
    await rm(tmp, { force: true });
  }
}

function checkStatus(where: string, status: number): void {
  if (status === 200) return;
  const message = `${where}: HTTP ${status}`;
  if (status >= 500 || status === 408 || status === 429) throw new RetryableError(message);
  throw new Error(`${message}; check MODEL_URI and the server's access rules`);
}

async function streamToFile(
  response: Response,
  tmp: string,
  options: DownloadOptions,
  where: string,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const out = createWriteStream(tmp);
  let bytes = 0;
  try {
    if (response.body === null) throw new RetryableError(`${where}: empty response body`);
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > options.maxBytes) {
        throw new Error(
          `${where}: more than MODEL_MAX_BYTES=${options.maxBytes} bytes; raise the limit or check the URI`,
        );
      }
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } catch (err) {
    if (err instanceof Error && !(err instanceof RetryableError) && err.message.startsWith(where))
      throw err;
    throw new RetryableError(`${where}: ${describeFetchError(err as Error, options.timeoutMs)}`);
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { sha256: hash.digest('hex'), bytes };
}

function describeFetchError(err: Error, timeoutMs: number): string {
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return `timed out after ${timeoutMs} ms (MODEL_DOWNLOAD_TIMEOUT_MS)`;
  }
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}${certificateHint(err.cause)}`;
}

/** TLS codes Node gives a server certificate it cannot trust. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** A model server behind a private CA is common; say how to trust it. */
function certificateHint(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code)
    ? ' (a private CA? point NODE_EXTRA_CA_CERTS at its PEM file, e.g. mounted from a Secret)'
    : '';
}

/** Hides credentials and query strings (signed URLs) in messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = u.search ? '?…' : '';
    return u.toString();
  } catch {
    return url;
  }
}
