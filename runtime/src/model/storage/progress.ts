/** Below this size a download is quick enough that its start and end lines say it all. */
export const PROGRESS_MIN_BYTES = 32 * 1024 ** 2;

export interface ProgressEvent {
  readonly bytes: number;
  readonly total: number;
  readonly percent: number;
}

/**
 * Calls `report` each time another tenth of a large download has arrived, so the logs show
 * a multi-gigabyte model moving (and where it stalled) without a line per chunk.
 */
export function progressTracker(
  total: number | undefined,
  report: (event: ProgressEvent) => void,
): (bytes: number) => void {
  if (total === undefined || total < PROGRESS_MIN_BYTES) return () => {};
  let nextTenth = 1;
  return (bytes) => {
    const tenths = Math.floor((bytes * 10) / total);
    if (tenths < nextTenth || tenths >= 10) return;
    nextTenth = tenths + 1;
    report({ bytes, total, percent: tenths * 10 });
  };
}
