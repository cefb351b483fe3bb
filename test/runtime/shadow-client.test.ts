import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PIPELINED_COPIES, ShadowClient } from '../../runtime/src/shadow/shadow-client.js';
import { ShadowUnreachable } from '../../runtime/src/shadow/shadow-connection.js';
import { createCa, createLeaf } from '../cluster/pki.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Clients first: a server closes only once its connections have.
  for (const close of closers.splice(0).reverse()) await close();
});

function listen<T extends net.Server>(server: T): Promise<number> {
  closers.push(
    () =>
      new Promise((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function client(url: string, timeoutMs = 2_000, ca?: Buffer): ShadowClient {
  const shadow = new ShadowClient(url, timeoutMs, ca);
  closers.push(() => Promise.resolve(shadow.close()));
  return shadow;
}

/** An answer the way the runtime frames it: JSON with content-length. */
const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';

/** An answer whose body is `body`, optionally announcing that the server closes. */
function answer(body: string, close = false): string {
  const connection = close ? 'connection: close\r\n' : '';
  return `HTTP/1.1 200 OK\r\n${connection}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/**
 * A raw HTTP/1.1 server that reads each connection's requests (bodies of our copies carry
 * no CRLF CRLF) and hands the bodies received so far to `onRequests`, per data event.
 */
function rawServer(
  onRequests: (socket: net.Socket, bodies: string[], connection: number) => void,
): net.Server {
  let connections = 0;
  return net.createServer((socket) => {
    const id = ++connections;
    let buffered = '';
    socket.on('data', (data: Buffer) => {
      buffered += data.toString('latin1');
      const bodies: string[] = [];
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) break;
        const length = Number(/content-length: (\d+)/.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) break;
        bodies.push(buffered.slice(end + 4, end + 4 + length));
        buffered = buffered.slice(end + 4 + length);
      }
      if (bodies.length > 0) onRequests(socket, bodies, id);
    });
  });
}

const posts = (
  n: number,
  tag = 'c',
): { path: string; headers: Record<string, string>; body: Buffer }[] =>
  Array.from({ length: n }, (_, i) => ({
    path: '/predict',
    headers: {},
    body: Buffer.from(`${tag}${i}`),
  }));

describe('ShadowClient', () => {
  it('posts copies with their headers and body over one kept-alive connection', async () => {
    const seen: { url: string; headers: http.IncomingHttpHeaders; body: string; port: number }[] =
      [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          port: req.socket.remotePort ?? 0,
        });
        res.setHeader('inference-header-content-length', '2');
        res.end('{"ok":true}');
      });
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}/base/`);
    for (let i = 0; i < 3; i++) {
      const answer = await shadow.post(
        '/v2/models/m/infer',
        { 'x-request-id': `r-${i}` },
        Buffer.from(`{"n":${i}}`),
      );
      expect(answer.status).toBe(200);
      expect(answer.headers['inference-header-content-length']).toBe('2');
      expect(answer.body.toString()).toBe('{"ok":true}');
    }
    expect(seen.map((s) => [s.url, s.headers['x-request-id'], s.body])).toEqual([
      ['/base/v2/models/m/infer', 'r-0', '{"n":0}'],
      ['/base/v2/models/m/infer', 'r-1', '{"n":1}'],
      ['/base/v2/models/m/infer', 'r-2', '{"n":2}'],
    ]);
    expect(seen[0]?.headers.host).toBe(`127.0.0.1:${port}`);
    expect(new Set(seen.map((s) => s.port)).size).toBe(1);
  });

  it('sends a copy again on a new connection when the shadow had closed the kept-alive one', async () => {
    // The first connection answers once, then drops the next request unanswered, as a server
    // does when its keep-alive timeout closes a connection the client was just reusing.
    let connections = 0;
    const server = net.createServer((socket) => {
      const id = ++connections;
      let requests = 0;
      socket.on('data', (data: Buffer) => {
        if (!data.includes('\r\n\r\n')) return;
        requests++;
        if (id === 1 && requests === 2) socket.destroy();
        else socket.write(ANSWER);
      });
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    expect((await shadow.post('/predict', {}, Buffer.from('{}'))).status).toBe(200);
    expect((await shadow.post('/predict', {}, Buffer.from('{}'))).status).toBe(200);
    expect(connections).toBe(2);
  });

  it('fails a copy whose fresh connection closes unanswered, without trying again', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.once('data', () => socket.destroy());
    });
    const port = await listen(server);
    await expect(
      client(`http://127.0.0.1:${port}`).post('/predict', {}, Buffer.from('{}')),
    ).rejects.toThrow(/closed the connection without answering/);
    expect(connections).toBe(1);
  });

  it('reads a chunked answer, and one that ends with the connection', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
        socket.once('data', () => socket.end('HTTP/1.1 500 Internal Server Error\r\n\r\nbroken'));
      });
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    expect((await shadow.post('/predict', {}, Buffer.from('{}'))).body.toString()).toBe('abc');
    const last = await shadow.post('/predict', {}, Buffer.from('{}'));
    expect([last.status, last.body.toString()]).toEqual([500, 'broken']);
  });

  it('refuses copies once closed (shutdown) instead of opening new connections', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.on('data', () => socket.write(ANSWER));
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    expect((await shadow.post('/predict', {}, Buffer.from('{}'))).status).toBe(200);
    shadow.close();
    await expect(shadow.post('/predict', {}, Buffer.from('{}'))).rejects.toThrow(/closed/);
    expect(connections).toBe(1);
  });

  it('says the shadow is unreachable when nothing listens', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(
      client(`http://127.0.0.1:${port}`).post('/predict', {}, Buffer.from('{}')),
    ).rejects.toThrow(ShadowUnreachable);
  });

  it('gives up on a shadow that does not answer within the timeout', async () => {
    const server = net.createServer((socket) => socket.resume());
    const port = await listen(server);
    const copy = client(`http://127.0.0.1:${port}`, 100).post('/predict', {}, Buffer.from('{}'));
    await expect(copy).rejects.toThrow(/did not answer within 100 ms/);
  });

  it('refuses an answer that is not HTTP and closes that connection', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.once('data', () => socket.write('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    await expect(shadow.post('/predict', {}, Buffer.from('{}'))).rejects.toThrow(
      /not an HTTP\/1.x status line/,
    );
    await expect(shadow.post('/predict', {}, Buffer.from('{}'))).rejects.toThrow(/not an HTTP/);
    expect(connections).toBe(2);
  });

  it('posts to an https shadow whose certificate a given CA signed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-shadow-tls-'));
    closers.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const ca = await createCa(dir, 'ca', 'ModelDeploy test shadow CA');
    const leaf = await createLeaf(dir, {
      name: 'shadow',
      commonName: 'shadow',
      usage: 'server',
      ipAddresses: ['127.0.0.1'],
      issuer: 'ca',
    });
    const server = https.createServer(
      { key: readFileSync(leaf.keyFile), cert: readFileSync(leaf.certFile) },
      (_req, res) => res.end('{"tls":true}'),
    );
    const port = await listen(server);
    const trusted = client(`https://127.0.0.1:${port}`, 2_000, readFileSync(ca.certFile));
    expect((await trusted.post('/predict', {}, Buffer.from('{}'))).body.toString()).toBe(
      '{"tls":true}',
    );
    await expect(
      client(`https://127.0.0.1:${port}`).post('/predict', {}, Buffer.from('{}')),
    ).rejects.toThrow();
  });

  it('pipelines the copies posted together on one connection in one write, and matches each answer to its copy in order', async () => {
    const reads: { connection: number; bodies: string[] }[] = [];
    const server = rawServer((socket, bodies, connection) => {
      reads.push({ connection, bodies });
      // The answers go back in one write too; each names the copy it answers.
      socket.write(bodies.map((b) => answer(`{"echo":"${b}"}`)).join(''));
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    const first = await Promise.all(shadow.postAll(posts(3, 'a')));
    expect(first.map((r) => r.body.toString())).toEqual([
      '{"echo":"a0"}',
      '{"echo":"a1"}',
      '{"echo":"a2"}',
    ]);
    // The next window reuses the same connection.
    const second = await Promise.all(shadow.postAll(posts(2, 'b')));
    expect(second.map((r) => r.body.toString())).toEqual(['{"echo":"b0"}', '{"echo":"b1"}']);
    expect(reads).toEqual([
      { connection: 1, bodies: ['a0', 'a1', 'a2'] },
      { connection: 1, bodies: ['b0', 'b1'] },
    ]);
  });

  it(`spreads a window of more than ${MAX_PIPELINED_COPIES} copies over several connections`, async () => {
    const perConnection = new Map<number, string[]>();
    const server = rawServer((socket, bodies, connection) => {
      perConnection.set(connection, [...(perConnection.get(connection) ?? []), ...bodies]);
      for (const b of bodies) socket.write(answer(b));
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    const n = MAX_PIPELINED_COPIES * 2 + 1;
    const answers = await Promise.all(shadow.postAll(posts(n)));
    expect(answers.map((r) => r.body.toString())).toEqual(posts(n).map((p) => p.body.toString()));
    expect(
      [...perConnection.values()].map((bodies) => bodies.length).sort((a, b) => a - b),
    ).toEqual([1, MAX_PIPELINED_COPIES, MAX_PIPELINED_COPIES]);
  });

  it('sends the copies behind an answer that closes the connection again on a new one', async () => {
    const server = rawServer((socket, bodies, connection) => {
      // The first connection answers one copy and says it closes; later ones answer all.
      if (connection === 1) socket.end(answer(bodies[0] ?? '', true));
      else socket.write(bodies.map((b) => answer(b)).join(''));
    });
    const port = await listen(server);
    const shadow = client(`http://127.0.0.1:${port}`);
    const answers = await Promise.all(shadow.postAll(posts(3)));
    expect(answers.map((r) => r.body.toString())).toEqual(['c0', 'c1', 'c2']);
  });

  it('gives up on the copies of a window still unanswered at the timeout, keeping the answers that came', async () => {
    const server = rawServer((socket, bodies) => {
      // Answers the first copy only; the shadow hangs on the others.
      socket.write(answer(bodies[0] ?? ''));
    });
    const port = await listen(server);
    const [first, ...rest] = client(`http://127.0.0.1:${port}`, 200).postAll(posts(3));
    await expect(first).resolves.toMatchObject({ status: 200 });
    for (const copy of rest) await expect(copy).rejects.toThrow(/did not answer within 200 ms/);
  });
});
