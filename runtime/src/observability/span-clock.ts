import type { HrTime } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';

/** Fixed for the process; read once (the getter goes through node's internals each time). */
const TIME_ORIGIN = performance.timeOrigin;

/**
 * A performance.now() reading (default: now) as a span time. Every span of the runtime gets
 * its times from here: the SDK turns a plain number into a time with an offset to Date.now()
 * that it measures afresh for each span, and that jitter (up to a millisecond) would place
 * children outside their parents. One fixed origin keeps them all on one monotonic clock.
 */
export function spanTime(performanceMs: number = performance.now()): HrTime {
  return millisToHrTime(TIME_ORIGIN + performanceMs);
}
