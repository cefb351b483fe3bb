import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, startRuntime, type TestRuntime } from './helpers.js';

const LIMIT = 64 * 1024;

/** Collects what the server writes on a raw socket; `until` resolves when a pattern appears. */
function reader(socket: Socket): { until: (pattern: RegExp) => Promise<string> } {
  let received = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    for (const waiter of waiters.splice(0)) waiter();
  });
  const until = async (pattern: RegExp): Promise<string> => {
    while (!pattern.test(received)) {
      if (socket.readableEnded || socket.destroyed) {
        throw new Error(`the connection ended before ${pattern}; received: ${received}`);
      }
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        socket.once('end', resolve);
        socket.once('close', resolve);
      });
    }
    return received;
  };
  return { until };
}

/** A raw loopback connection to `url`, the errors it sees, and a reader of what it receives. */
async function openClient(
  url: string,
): Promise<{ socket: Socket; errors: Error[]; until: (pattern: RegExp) => Promise<string> }> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const errors: Error[] = [];
  socket.on('error', (err) => errors.push(err));
  return { socket, errors, until: reader(socket).until };
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(data, (err) => (err ? reject(err) : resolve())),
  );
}

// A client that is still sending a body the server has refused must be able to read the
// 413 and go on: Python requests, curl and load balancers see a reset otherwise.
describe('a body over BODY_LIMIT_BYTES', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.tiny, { BODY_LIMIT_BYTES: String(LIMIT) }, { listen: true });
  });
  afterAll(async () => {
    await rt.close();
  });

  it('gets 413 naming the limit while the client is still sending, and the connection reads the rest and serves the next request', async () => {
    const { socket, errors, until } = await openClient(rt.url);
    const length = 16 * LIMIT;
    await write(
      socket,
      `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
    );
    await write(socket, Buffer.alloc(1024, 0x20));
    const refused = await until(/\r\n\r\n\{[^}]*\}/);
    expect(refused).toMatch(/^HTTP\/1\.1 413 /);
    expect(refused).toMatch(/request body is larger than BODY_LIMIT_BYTES=65536/);
    // The rest of the refused body, sent after the answer arrived, in bounded chunks.
    for (let sent = 1024; sent < length; sent += LIMIT) {
      await write(socket, Buffer.alloc(Math.min(LIMIT, length - sent), 0x20));
    }
    await write(socket, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const both = await until(/HTTP\/1\.1 200 /);
    expect(both.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 413', 'HTTP/1.1 200']);
    expect(errors).toEqual([]);
    socket.destroy();
  });

  it('answers a client that asked to close only after reading its whole body, so it never sees a reset', async () => {
    const { socket, errors, until } = await openClient(rt.url);
    const length = 128 * LIMIT;
    await write(
      socket,
      `POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
    );
    // Node closes the socket right after an answer to Connection: close: an answer sent
    // while this loop still writes would make the next write fail with EPIPE.
    for (let sent = 0; sent < length; sent += LIMIT) {
      await write(socket, Buffer.alloc(LIMIT, 0x20));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const answer = await until(/\r\n\r\n\{[^}]*\}/);
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/request body is larger than BODY_LIMIT_BYTES=65536/);
    expect(errors).toEqual([]);
    socket.destroy();
  });
});
