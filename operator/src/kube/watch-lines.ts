import type { WatchEvent } from './object.js';

/** A watch stream line that is not a JSON watch event: the stream can no longer be trusted. */
export class MalformedWatchLine extends Error {
  constructor(line: string, cause: unknown) {
    super(
      `the API server's watch stream sent a line that is not a JSON watch event (${String(cause)}): ${line.slice(0, 200)}; re-listing`,
      { cause },
    );
    this.name = 'MalformedWatchLine';
  }
}

/**
 * Splits a watch response into events, one JSON object per line, across chunk boundaries.
 * A malformed line throws MalformedWatchLine from push(), which the caller turns into the end
 * of that watch (never an exception escaping a stream handler).
 */
export class WatchLineDecoder {
  private buffer = '';

  push(chunk: string): WatchEvent[] {
    this.buffer += chunk;
    const events: WatchEvent[] = [];
    let newline = this.buffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) events.push(parseEvent(line));
      newline = this.buffer.indexOf('\n');
    }
    return events;
  }
}

function parseEvent(line: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new MalformedWatchLine(line, err);
  }
  const e = value as Partial<WatchEvent> | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    typeof e.type !== 'string' ||
    typeof e.object !== 'object'
  )
    throw new MalformedWatchLine(line, 'no type and object');
  return e as WatchEvent;
}
