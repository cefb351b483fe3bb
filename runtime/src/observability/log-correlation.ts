import type { Logger } from 'pino';

/**
 * The trace id of each traced request's logger (fastify's per-request child). Written once
 * per request; read only when a line is logged, by the pino mixin below. Binding the id with
 * a second `logger.child()` per request instead was the largest single cost of tracing in a
 * CPU profile (pino serialises a child's bindings when it is made), paid even by requests no
 * line is ever logged for.
 *
 * The value is the id itself, not the request's trace object that could make it when a line
 * is logged: a WeakMap keeps its value alive as long as its key, and with the trace as value
 * every traced request's span objects stayed reachable through its logger. With 10 % of
 * requests traced, young-generation collections took 8-10 % longer and tracing cost +7 … +10 %
 * instead of +2 … +3 % (bench/observability/same-process.ts; docs/benchmarks.md).
 */
const traceIds = new WeakMap<object, string>();

/** Lines logged through `logger` (a request's logger) carry `trace_id` from now on. */
export function bindTraceId(logger: object, traceId: string): void {
  traceIds.set(logger, traceId);
}

/** pino's `mixin`: adds trace_id to a line of a traced request's logger, nothing otherwise. */
export function traceIdMixin(
  _mergeObject: object,
  _level: number,
  logger: Logger,
): { trace_id?: string } {
  const traceId = traceIds.get(logger);
  return traceId === undefined ? {} : { trace_id: traceId };
}
