import { z } from 'zod';

/**
 * The one I/O edge of the rollout: an instant query against Prometheus' HTTP API
 * (GET /api/v1/query). Only Node's fetch, no client library.
 */

const sample = z.tuple([z.number(), z.string()]);

const queryResponse = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })),
      }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: sample }),
    ]),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string().optional(),
    error: z.string().optional(),
  }),
]);

/** Prometheus renders special floats as strings: "NaN", "+Inf", "-Inf". */
function parseSampleValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

function queryUrl(prometheusUrl: string, promql: string): URL {
  let base: URL;
  try {
    base = new URL(prometheusUrl);
  } catch {
    throw new Error(
      `Prometheus URL "${prometheusUrl}" is not a valid URL; check spec.canary.analysis.prometheusUrl`,
    );
  }
  // Keep a path prefix (a Prometheus behind /prometheus/) and add the API path to it.
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v1/query`, base);
  url.searchParams.set('query', promql);
  return url;
}

const describeCause = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
};

/** Where the body of a failed answer goes: the operator's debug log, never status. */
export interface QueryLog {
  debug(details: Record<string, unknown>, message: string): void;
}

export interface QueryOptions {
  timeoutMs: number;
  /** Evaluation time; several queries with the same `time` measure the same window. */
  time?: Date;
  log?: QueryLog;
}

/** Prometheus' own error types (bad_data, execution, timeout, …) are safe to repeat. */
const ERROR_TYPE = /^[a-z_]{1,32}$/;

/** Bodies are logged at debug level only, and cut: a wrong URL may answer megabytes. */
const LOGGED_BODY_CHARS = 2000;

/**
 * The most of an answer the operator reads. A single-value query answers a few hundred
 * bytes; a prometheusUrl pointed at a file server or a log endpoint must not make the
 * operator buffer gigabytes.
 */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** The body as text, or undefined once it grows past `maxBytes` (the rest is not read). */
async function cappedText(response: Response, maxBytes: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The answer of a server that the operator fetched on a user's behalf: its words go to the
 * debug log, and what is thrown (and may reach status) keeps only the HTTP status and a
 * reason of our own, so a URL pointed at some internal service cannot read it through status.
 */
function rejectAnswer(
  options: QueryOptions,
  details: { where: string; status: number; body: string },
  reason: string,
): Error {
  options.log?.debug(
    { url: details.where, status: details.status, body: details.body.slice(0, LOGGED_BODY_CHARS) },
    'Prometheus query answer not usable',
  );
  return new Error(`${details.where} answered HTTP ${details.status}: ${reason}`);
}

async function send(url: URL, where: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
      // A redirect would take the request to a URL the allow-list never saw.
      redirect: 'manual',
    });
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new Error(
        `${where} did not answer within ${timeoutMs} ms; check that Prometheus is up and not overloaded`,
      );
    }
    throw new Error(
      `${where} is unreachable (${describeCause(error)}); check spec.canary.analysis.prometheusUrl and that the operator can reach it`,
    );
  }
}

type QueryAnswer = Extract<z.output<typeof queryResponse>, { status: 'success' }>;

/** The response as a successful Prometheus query answer, or an Error that quotes none of it. */
async function readAnswer(
  response: Response,
  where: string,
  options: QueryOptions,
): Promise<QueryAnswer> {
  const body = await cappedText(response, MAX_ANSWER_BYTES);
  if (body === undefined) {
    throw rejectAnswer(
      options,
      { where, status: response.status, body: '' },
      `more than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, which no single-value query answer needs; check that prometheusUrl points at Prometheus itself`,
    );
  }
  const details = { where, status: response.status, body };
  if (response.status >= 300 && response.status < 400) {
    throw rejectAnswer(
      options,
      details,
      'a redirect, which the operator does not follow (its target was never checked against the allow-list); set prometheusUrl to the final URL',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw rejectAnswer(
      options,
      details,
      "not JSON; check that prometheusUrl points at Prometheus itself (the body is in the operator's debug log)",
    );
  }
  const parsed = queryResponse.safeParse(json);
  if (!parsed.success) {
    throw rejectAnswer(
      options,
      details,
      'JSON that is not a Prometheus query response; check that prometheusUrl points at Prometheus itself',
    );
  }
  const answer = parsed.data;
  if (answer.status === 'error' || !response.ok) {
    const type = answer.status === 'error' ? answer.errorType : undefined;
    const shown = type !== undefined && ERROR_TYPE.test(type) ? type : 'error';
    throw rejectAnswer(
      options,
      details,
      `the query was rejected (${shown}; Prometheus' message is in the operator's debug log)`,
    );
  }
  return answer;
}

/**
 * Runs one instant query and returns its single value.
 *
 * - empty vector (no series matched, e.g. no traffic yet) → undefined
 * - NaN (e.g. 0/0 over a window without requests) → undefined
 * - "+Inf"/"-Inf" → ±Infinity (judge() decides what they mean)
 * - HTTP errors, network errors, timeouts, redirects, non-Prometheus answers, or more than
 *   one series → throws an Error naming the URL, what failed and what to check. The error
 *   never quotes the response body (it may end up in status); `options.log` gets it.
 */
export async function queryScalar(
  prometheusUrl: string,
  promql: string,
  options: QueryOptions,
): Promise<number | undefined> {
  const url = queryUrl(prometheusUrl, promql);
  if (options.time !== undefined)
    url.searchParams.set('time', String(options.time.getTime() / 1000));
  const where = `Prometheus at ${url.origin}${url.pathname}`;
  const response = await send(url, where, options.timeoutMs);
  const data = (await readAnswer(response, where, options)).data;
  switch (data.resultType) {
    case 'scalar':
      return parseSampleValue(data.result[1]);
    case 'vector': {
      if (data.result.length === 0) return undefined;
      const [first, ...rest] = data.result;
      if (first === undefined || rest.length > 0) {
        throw new Error(
          `${where} returned ${data.result.length} series where one value was expected; aggregate the query (sum(...)). Query: ${promql}`,
        );
      }
      return parseSampleValue(first.value[1]);
    }
    default:
      throw new Error(
        `${where} returned a ${data.resultType} where a single value was expected; query was: ${promql}`,
      );
  }
}
