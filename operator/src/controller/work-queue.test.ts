import { describe, expect, it } from 'vitest';
import { WorkQueue, type Clock } from './work-queue.js';

class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => !x.cancelled && x.at <= this.t);
    this.timers = this.timers.filter((x) => !due.includes(x));
    for (const x of due) x.fn();
  }
}

describe('WorkQueue', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands a key to two workers, and re-queues it when it changed meanwhile', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key ?? '');
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('backs off exponentially per key and forgets after success', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, baseDelayMs: 100, maxDelayMs: 1000 });
    q.addRateLimited('a');
    expect(q.length).toBe(0);
    clock.advance(99);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    expect([q.backoffFor(1), q.backoffFor(2), q.backoffFor(10)]).toEqual([200, 400, 1000]);
    q.addRateLimited('a');
    expect(q.failuresOf('a')).toBe(2);
    q.forget('a');
    expect(q.failuresOf('a')).toBe(0);
  });

  it('keeps the earliest of two delayed adds', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 500);
    q.addAfter('a', 100);
    q.addAfter('a', 900);
    clock.advance(100);
    expect(q.length).toBe(1);
  });

  it('wakes a waiting worker and ends waiters on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const ended = q.get();
    q.shutDown();
    expect(await ended).toBeUndefined();
    q.add('y');
    expect(q.length).toBe(0);
  });
});
