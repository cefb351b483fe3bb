import { describe, expect, it } from 'vitest';
import { MalformedWatchLine, WatchLineDecoder } from './watch-lines.js';

const event = (name: string): string =>
  JSON.stringify({ type: 'ADDED', object: { metadata: { name } } });

describe('WatchLineDecoder', () => {
  it('joins events split across chunks', () => {
    const d = new WatchLineDecoder();
    const line = `${event('a')}\n${event('b')}\n`;
    expect(d.push(line.slice(0, 10))).toEqual([]);
    expect(d.push(line.slice(10)).map((e) => e.object.metadata.name)).toEqual(['a', 'b']);
  });

  it('throws a MalformedWatchLine instead of a bare SyntaxError for a broken line', () => {
    const d = new WatchLineDecoder();
    expect(() => d.push(`${event('a')}\n{"type":"ADDED","obj\n`)).toThrow(MalformedWatchLine);
    expect(() => new WatchLineDecoder().push('[1,2]\n')).toThrow(/not a JSON watch event/);
  });
});
