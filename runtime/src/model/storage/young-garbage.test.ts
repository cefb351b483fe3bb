import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { scavengeEvery } from './young-garbage.js';

const MIB = 1024 * 1024;

/** 16 MiB of 64 KiB buffers, each with a backing store of its own, as socket reads are; all dropped. */
function allocateAndDrop(): number {
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    const chunk = Buffer.allocUnsafeSlow(64 * 1024);
    chunk.fill(i);
    sum += chunk[0] ?? 0;
  }
  return sum;
}

/** Dead buffers' memory is released by a sweep that runs after the GC, on another thread. */
async function arrayBuffersAfterSweep(): Promise<number> {
  let bytes = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 50 && bytes >= 8 * MIB; i++) {
    await delay(20);
    bytes = process.memoryUsage().arrayBuffers;
  }
  return bytes;
}

describe('scavengeEvery', () => {
  it('scavenges once each time another interval of bytes has arrived, not per chunk', () => {
    let scavenges = 0;
    const onBytes = scavengeEvery(100, () => scavenges++);
    for (const bytes of [10, 60, 99]) onBytes(bytes);
    expect(scavenges).toBe(0);
    onBytes(150);
    expect(scavenges).toBe(1);
    onBytes(200);
    expect(scavenges).toBe(1);
    onBytes(250);
    expect(scavenges).toBe(2);
    onBytes(1000);
    expect(scavenges).toBe(3);
  });

  it("frees dead socket-sized buffers with V8's own gc, without --expose-gc on the command line", async () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
    allocateAndDrop();
    await delay(0);
    expect(process.memoryUsage().arrayBuffers).toBeGreaterThanOrEqual(16 * MIB);
    scavengeEvery(1)(1);
    expect(await arrayBuffersAfterSweep()).toBeLessThan(8 * MIB);
    // The flag is not left on: the main context still has no global gc.
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
  });
});
