import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, startRuntime, waitUntil, type TestRuntime } from './helpers.js';

// Rows whose JSON answer (about 15 MB) is several times what the kernel buffers between a
// client that stops reading and the server, so the answer is still being written when the
// shutdown begins.
const ROWS = 100_000;

function binaryInfer(rows: number): Buffer {
  const data = new Float32Array(rows * 64).fill(0.25);
  const header = JSON.stringify({
    inputs: [
      {
        name: 'input',
        shape: [rows, 64],
        datatype: 'FP32',
        parameters: { binary_data_size: data.byteLength },
      },
    ],
  });
  const body = Buffer.concat([Buffer.from(header), Buffer.from(data.buffer)]);
  const head =
    `POST /v2/models/mlp-tiny/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Content-Type: application/octet-stream\r\nInference-Header-Content-Length: ${header.length}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/** Reads a socket into memory; `ended` resolves with everything once the server ends it. */
function collect(socket: Socket): { firstChunk: Promise<void>; ended: Promise<Buffer> } {
  const chunks: Buffer[] = [];
  const firstChunk = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<Buffer>((resolve) =>
    socket.once('close', () => resolve(Buffer.concat(chunks))),
  );
  return { firstChunk, ended };
}

// A keep-alive client (undici, a load balancer's pool) that is still reading a large answer
// when SIGTERM's drain closes the server.
describe('closing the server while a large answer is still being read', () => {
  let rt: TestRuntime;
  let shutdown: Promise<void> | undefined;
  beforeAll(async () => {
    rt = await startRuntime(
      MODELS.tiny,
      {
        MODEL_NAME: 'mlp-tiny',
        SHUTDOWN_DELAY_MS: '0',
        BODY_LIMIT_BYTES: String(64 * 1024 * 1024),
        REQUEST_MAX_ROWS: String(ROWS),
        REQUEST_MAX_ELEMENTS: String(ROWS * 64),
      },
      { listen: true },
    );
  });
  afterAll(async () => {
    await (shutdown ?? rt.close());
  });

  it('delivers the whole answer, then ends the connection, and the shutdown completes', async () => {
    const { port } = new URL(rt.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const { firstChunk, ended } = collect(socket);
    socket.write(binaryInfer(ROWS));
    await firstChunk;
    socket.pause();
    shutdown = rt.server.shutdown();
    // The listener is closed (Node's server.close() ran) before the client reads on.
    await waitUntil(() => !rt.server.app.server.listening);
    socket.resume();
    const received = await ended;
    await shutdown;
    const text = received.toString('latin1');
    const split = text.indexOf('\r\n\r\n');
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(text.slice(0, split))?.[1]);
    expect(text.slice(0, 15)).toBe('HTTP/1.1 200 OK');
    expect(length).toBeGreaterThan(8 * 1024 * 1024);
    expect(received.length - (split + 4)).toBe(length);
    const answer = JSON.parse(text.slice(split + 4)) as { outputs: { shape: number[] }[] };
    expect(answer.outputs[0]!.shape).toEqual([ROWS, 10]);
  });
});
