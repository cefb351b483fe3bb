import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { SLOT_BYTES, SlotRing, SLOTS } from './slot-ring.js';
import { streamToFile } from './stream-to-file.js';

const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-stream-to-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Cuts `data` into chunks of irregular sizes, from 1 byte to 300 KiB, empty ones included. */
function chunksOf(data: Buffer): Buffer[] {
  const sizes = [1, 0, 65_536, 300 * 1024, 7, 16_384, 1_048_577, 0, 123_457];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(data.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

describe('streamToFile', () => {
  it('writes and hashes a body of many irregular chunks byte for byte', async () => {
    // Several times the ring, so the worker falls behind and the body pauses.
    const data = randomBytes(4 * SLOTS * SLOT_BYTES + SLOT_BYTES + 12_345);
    const path = join(dir, 'irregular');
    const counts: number[] = [];
    const result = await streamToFile(Readable.from(chunksOf(data)), new SlotRing(), path, (n) =>
      counts.push(n),
    );
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(result).toEqual({
      sha256: createHash('sha256').update(data).digest('hex'),
      bytes: data.length,
    });
    expect(counts.at(-1)).toBe(data.length);
  });

  it('writes an empty body as an empty file', async () => {
    const path = join(dir, 'empty');
    const result = await streamToFile(Readable.from([]), new SlotRing(), path, () => {});
    expect(readFileSync(path).length).toBe(0);
    expect(result.bytes).toBe(0);
  });

  it('stops the body and rejects with what onBytes threw', async () => {
    const body = Readable.from(chunksOf(randomBytes(8 * SLOT_BYTES)));
    const refuse = (n: number): void => {
      if (n > 3 * SLOT_BYTES) throw new Error('over the limit');
    };
    await expect(streamToFile(body, new SlotRing(), join(dir, 'limited'), refuse)).rejects.toThrow(
      'over the limit',
    );
    expect(body.destroyed).toBe(true);
  });

  it('rejects with the error a body fails with half-way', async () => {
    const data = randomBytes(3 * SLOT_BYTES);
    async function* cutOff(): AsyncGenerator<Buffer> {
      yield data.subarray(0, 2 * SLOT_BYTES);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    await expect(
      streamToFile(Readable.from(cutOff()), new SlotRing(), join(dir, 'cut'), () => {}),
    ).rejects.toThrow('aborted');
  });

  it('keeps the order of chunks that each sit at another alignment in their own buffers', async () => {
    const data = randomBytes(3 * SLOTS * SLOT_BYTES + 99);
    const chunks: Buffer[] = [];
    for (let at = 0, i = 0; at < data.length; i++) {
      // Large pieces start a fresh slot at their own alignment; small ones are copied as they are.
      const size = Math.min(i % 3 === 0 ? 100 : 70_000, data.length - at);
      const own = Buffer.alloc(size + 8);
      data.copy(own, i % 8, at, at + size);
      chunks.push(own.subarray(i % 8, (i % 8) + size));
      at += size;
    }
    const path = join(dir, 'misaligned');
    const result = await streamToFile(Readable.from(chunks), new SlotRing(), path, () => {});
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('copies a chunk larger than the whole ring in turns, byte for byte', async () => {
    const data = randomBytes(2 * SLOTS * SLOT_BYTES + 7);
    const path = join(dir, 'one-big-chunk');
    const body = Readable.from([data.subarray(0, 3), data.subarray(3)]);
    const result = await streamToFile(body, new SlotRing(), path, () => {});
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it("rejects with the worker's write error and stops the body when the disk is full", async () => {
    const body = Readable.from(chunksOf(randomBytes(3 * SLOTS * SLOT_BYTES)));
    // Linux's /dev/full opens for writing and fails every write with ENOSPC.
    await expect(streamToFile(body, new SlotRing(), '/dev/full', () => {})).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    expect(body.destroyed).toBe(true);
  });

  it('rejects when the file cannot be written', async () => {
    const body = Readable.from([randomBytes(1024)]);
    await expect(
      streamToFile(body, new SlotRing(), join(dir, 'no-such-dir', 'model'), () => {}),
    ).rejects.toThrow(/ENOENT/);
  });

  it('lets a ring that never got a file be closed, as when the request fails', async () => {
    await expect(new SlotRing().close()).resolves.toBeUndefined();
  });
});
