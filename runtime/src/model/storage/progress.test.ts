import { describe, expect, it } from 'vitest';
import { progressTracker, PROGRESS_MIN_BYTES, type ProgressEvent } from './progress.js';

describe('progressTracker', () => {
  it('reports each tenth of a large download once, even when a chunk skips tenths', () => {
    const events: ProgressEvent[] = [];
    const total = 100 * 1024 ** 2;
    const track = progressTracker(total, (e) => events.push(e));
    for (const fraction of [0.05, 0.1, 0.15, 0.2, 0.55, 0.56, 0.9, 1]) {
      track(Math.round(total * fraction));
    }
    expect(events.map((e) => e.percent)).toEqual([10, 20, 50, 90]);
    expect(events[2]?.bytes).toBe(Math.round(total * 0.55));
  });

  it('stays quiet for small models and for models of unknown size', () => {
    const events: ProgressEvent[] = [];
    progressTracker(PROGRESS_MIN_BYTES - 1, (e) => events.push(e))(PROGRESS_MIN_BYTES - 1);
    progressTracker(undefined, (e) => events.push(e))(10 ** 9);
    expect(events).toEqual([]);
  });
});
