import { describe, expect, it } from 'vitest';
import { ClientHangup } from './client-hangup.js';

describe('ClientHangup', () => {
  it('calls each listener once, on the first abort only', () => {
    const hangup = new ClientHangup();
    const calls: string[] = [];
    hangup.addEventListener('abort', () => calls.push('a'));
    hangup.addEventListener('abort', () => calls.push('b'));
    expect(hangup.aborted).toBe(false);
    hangup.abort();
    hangup.abort();
    expect(hangup.aborted).toBe(true);
    expect(calls).toEqual(['a', 'b']);
  });

  it('does not call a listener added after the hang-up, as AbortSignal does not', () => {
    const hangup = new ClientHangup();
    hangup.abort();
    let called = false;
    hangup.addEventListener('abort', () => (called = true));
    expect(called).toBe(false);
  });
});
