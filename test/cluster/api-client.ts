import { request } from 'node:https';
import type { ApiCredentials } from './kubeconfig.js';

export interface ApiResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTPS request to the API server with the given identity. Deliberately tiny: the
 * harness must not depend on the client library the operator under test uses.
 */
export function apiRequest(
  creds: ApiCredentials,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
  extraHeaders: Readonly<Record<string, string>> = {},
): Promise<ApiResponse> {
  const url = new URL(path, creds.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  // Extra headers go first so the harness's own credentials always win.
  const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (creds.auth.kind === 'token') headers['authorization'] = `Bearer ${creds.auth.token}`;
  const tls =
    creds.auth.kind === 'cert' ? { cert: creds.auth.certData, key: creds.auth.keyData } : {};
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers, ca: creds.caData, ...tls, timeout: timeoutMs, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Like apiRequest, but a non-2xx answer is an error that carries the server's message. */
export async function apiCall(
  creds: ApiCredentials,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await apiRequest(creds, method, path, body);
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${method} ${path} answered ${res.status}: ${res.body.slice(0, 500)}`);
  }
  return JSON.parse(res.body) as unknown;
}
