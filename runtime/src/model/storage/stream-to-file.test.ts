import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { after, MAX_PENDING_BYTES, MIN_WRITE_BYTES, streamToFile } from './stream-to-file.js';

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
    // Several times what may wait behind a write, so writes overlap and the body pauses.
    const data = randomBytes(4 * MAX_PENDING_BYTES + MIN_WRITE_BYTES + 12_345);
    const path = join(dir, 'irregular');
    const counts: number[] = [];
    const result = await streamToFile(Readable.from(chunksOf(data)), path, (n) => counts.push(n));
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(result).toEqual({
      sha256: createHash('sha256').update(data).digest('hex'),
      bytes: data.length,
    });
    expect(counts.at(-1)).toBe(data.length);
  });

  it('writes an empty body as an empty file', async () => {
    const path = join(dir, 'empty');
    const result = await streamToFile(Readable.from([]), path, () => {});
    expect(readFileSync(path).length).toBe(0);
    expect(result.bytes).toBe(0);
  });

  it('stops the body and rejects with what onBytes threw', async () => {
    const body = Readable.from(chunksOf(randomBytes(8 * MIN_WRITE_BYTES)));
    const refuse = (n: number): void => {
      if (n > 3 * MIN_WRITE_BYTES) throw new Error('over the limit');
    };
    await expect(streamToFile(body, join(dir, 'limited'), refuse)).rejects.toThrow(
      'over the limit',
    );
    expect(body.destroyed).toBe(true);
  });

  it('rejects with the error a body fails with half-way', async () => {
    const data = randomBytes(3 * MIN_WRITE_BYTES);
    async function* cutOff(): AsyncGenerator<Buffer> {
      yield data.subarray(0, 2 * MIN_WRITE_BYTES);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    await expect(streamToFile(Readable.from(cutOff()), join(dir, 'cut'), () => {})).rejects.toThrow(
      'aborted',
    );
  });

  it('rejects when the file cannot be written', async () => {
    const body = Readable.from([randomBytes(1024)]);
    await expect(streamToFile(body, join(dir, 'no-such-dir', 'model'), () => {})).rejects.toThrow(
      /ENOENT/,
    );
  });
});

describe('after', () => {
  const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

  it('drops whole chunks, cuts the first partly written one and keeps the rest', () => {
    const chunks = [bytes(1, 2), bytes(3, 4, 5), bytes(6)];
    expect(after(chunks, 0)).toEqual(chunks);
    expect(after(chunks, 2)).toEqual([bytes(3, 4, 5), bytes(6)]);
    expect(after(chunks, 3)).toEqual([bytes(4, 5), bytes(6)]);
    expect(after(chunks, 6)).toEqual([]);
  });

  it('drops empty chunks so a write never waits on nothing', () => {
    expect(after([bytes(), bytes(1), bytes()], 0)).toEqual([bytes(1)]);
  });
});
