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

/**
 * Runs one instant query and returns its single value.
 *
 * - empty vector (no series matched, e.g. no traffic yet) → undefined
 * - NaN (e.g. 0/0 over a window without requests) → undefined
 * - "+Inf"/"-Inf" → ±Infinity (judge() decides what they mean)
 * - HTTP errors, network errors, timeouts, non-Prometheus answers, or more than one series
 *   → throws an Error naming the URL, what failed and what to check.
 */
export async function queryScalar(
  prometheusUrl: string,
  promql: string,
  timeoutMs: number,
): Promise<number | undefined> {
  const url = queryUrl(prometheusUrl, promql);
  const where = `Prometheus at ${url.origin}${url.pathname}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
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

  const body = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(
      `${where} answered HTTP ${response.status} with a body that is not JSON (${body.slice(0, 120).trim() || 'empty'}); check that prometheusUrl points at Prometheus itself`,
    );
  }
  const parsed = queryResponse.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${where} answered HTTP ${response.status} with JSON that is not a Prometheus query response; check that prometheusUrl points at Prometheus itself`,
    );
  }
  const answer = parsed.data;
  if (answer.status === 'error' || !response.ok) {
    const detail =
      answer.status === 'error'
        ? `${answer.errorType ?? 'error'}: ${answer.error ?? 'no message'}`
        : 'no error message';
    throw new Error(
      `${where} rejected the query with HTTP ${response.status} (${detail}); query was: ${promql}`,
    );
  }

  const data = answer.data;
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
