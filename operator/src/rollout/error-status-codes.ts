/**
 * spec.canary.analysis.errorStatusCodes and ignoredStatusCodes: which HTTP answers of a
 * track count as errors, and which answers analysis does not look at at all.
 *
 * An entry is an exact code ("400") or a class ("5xx"). They become anchored PromQL regexes
 * on the runtime's `code` label.
 */

/** One entry: a code from 100 to 599, or a class 1xx…5xx. */
export const STATUS_CODE_PATTERN = /^[1-5](\d\d|xx)$/;

/**
 * 5xx, and 400: what the runtime answers when a request does not match the model's inputs
 * (runtime/src/protocol/request-schemas.ts). A candidate whose input signature changed
 * answers 400 to every production request, which is the failure a canary must catch.
 */
export const DEFAULT_ERROR_STATUS_CODES: readonly string[] = ['5xx', '400'];

/**
 * 429 (RATE_LIMIT_RPS exceeded) and 503 (queue full at BATCH_MAX_QUEUE, shutting down, not
 * ready): the runtime protecting itself and telling the client to retry (Retry-After), not
 * an answer the model gave. A canary scaled down between steps answers 503 while it drains;
 * counting that would fail good candidates. Overload still shows in the latency checks.
 */
export const DEFAULT_IGNORED_STATUS_CODES: readonly string[] = ['429', '503'];

/** A PromQL regex (anchored by Prometheus) matching every listed code or class. */
export function statusCodeRegex(codes: readonly string[]): string {
  const unknown = codes.filter((code) => !STATUS_CODE_PATTERN.test(code));
  if (unknown.length > 0) {
    throw new Error(
      `invalid status codes ${unknown.join(', ')}: use a code such as "400" or a class such as "5xx"`,
    );
  }
  const unique = [...new Set(codes.map((code) => code.replace(/x/g, '.')))];
  return unique.join('|');
}

/** Label matchers (without braces) for the errors among a track's answers. */
export function errorCodeMatchers(
  errorCodes: readonly string[],
  ignoredCodes: readonly string[],
): string[] {
  return [`code=~"${statusCodeRegex(errorCodes)}"`, ...ignoredCodeMatchers(ignoredCodes)];
}

/** Label matchers (without braces) that leave the ignored answers out of every query. */
export function ignoredCodeMatchers(ignoredCodes: readonly string[]): string[] {
  return ignoredCodes.length > 0 ? [`code!~"${statusCodeRegex(ignoredCodes)}"`] : [];
}
