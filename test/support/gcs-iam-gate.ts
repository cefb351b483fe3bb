/**
 * fake-gcs-server checks no credentials, so the tests put this gate in front of it to see
 * refusals: it verifies the bearer token the real client sends (a service account's
 * self-signed JWT, RS256 with the account's key) and forwards the requests of the accounts
 * allowed to read; others get the answer GCS gives, 403 with its JSON error naming the
 * caller, and a request without a token 401. Only the verdict is the test's own: the
 * token, its signature and the download are real.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, jwtVerify } from 'jose';

export interface ServiceAccountKey {
  readonly email: string;
  /** The key file's content, as `gcloud iam service-accounts keys create` writes it. */
  readonly json: string;
  readonly publicKey: KeyObject;
}

/** A service account key made for the test (no Google account behind it). */
export function makeServiceAccountKey(email: string): ServiceAccountKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const json = JSON.stringify({
    type: 'service_account',
    project_id: 'modeldeploy-test',
    private_key_id: 'test-key-1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: email,
    client_id: '1',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { email, json, publicKey };
}

export interface IamGate {
  /** http://127.0.0.1:<port>, for MODEL_GCS_ENDPOINT. */
  readonly endpoint: string;
  /** The JWT issuers (service accounts) whose requests reached the gate, in order. */
  readonly callers: readonly string[];
  /** Cuts the connection of the next media download after this many body bytes. */
  resetNextDownloadAfter(bytes: number): void;
  /** Media downloads answered so far, cut ones included. */
  downloads(): number;
  stop(): Promise<void>;
}

export async function startIamGate(
  upstream: string,
  readers: readonly ServiceAccountKey[],
): Promise<IamGate> {
  const callers: string[] = [];
  let cutAfter: number | undefined;
  let downloads = 0;
  const server = createServer((req, res) => {
    void verdict(req, readers, callers).then((refusal) => {
      if (refusal !== undefined) return refuse(res, refusal.status, refusal.message);
      const media = new URL(req.url ?? '/', upstream).searchParams.get('alt') === 'media';
      if (media) downloads++;
      const cut = media ? cutAfter : undefined;
      if (media) cutAfter = undefined;
      forward(req, res, upstream, cut);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    callers,
    resetNextDownloadAfter: (bytes) => {
      cutAfter = bytes;
    },
    downloads: () => downloads,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Refusal {
  readonly status: 401 | 403;
  readonly message: string;
}

async function verdict(
  req: IncomingMessage,
  readers: readonly ServiceAccountKey[],
  callers: string[],
): Promise<Refusal | undefined> {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (token === undefined) {
    return { status: 401, message: 'Anonymous caller does not have storage.objects.get access' };
  }
  let caller: string;
  try {
    caller = String(decodeJwt(token).iss);
  } catch {
    return { status: 401, message: 'Invalid Credentials' };
  }
  callers.push(caller);
  const reader = readers.find((r) => r.email === caller);
  if (
    reader !== undefined &&
    (await jwtVerify(token, reader.publicKey).then(
      () => true,
      () => false,
    ))
  ) {
    return undefined;
  }
  return {
    status: 403,
    message: `${caller} does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).`,
  };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  const reason = status === 401 ? 'required' : 'forbidden';
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(
    JSON.stringify({
      error: { code: status, message, errors: [{ message, domain: 'global', reason }] },
    }),
  );
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: string,
  cutAfter: number | undefined,
): void {
  const out = request(
    new URL(req.url ?? '/', upstream),
    { method: req.method, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (cutAfter === undefined) return void answer.pipe(res);
      // A connection reset half-way through the body, as a flaky network gives.
      res.write(Buffer.alloc(cutAfter, 0x2a), () => res.socket?.resetAndDestroy());
      answer.resume();
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
}
