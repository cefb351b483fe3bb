import type { Logger } from 'pino';

/**
 * The trace id of each traced request's logger (fastify's per-request child). Written once
 * per request; read only when a line is logged, by the pino mixin below. Binding the id with
 * a second `logger.child()` per request instead was the largest single cost of tracing in a
 * CPU profile (pino serialises a child's bindings when it is made), paid even by requests no
 * line is ever logged for.
 */
const traces = new WeakMap<object, TraceOfRequest>();

/** What a request's trace id is read from, when a line is logged. */
export interface TraceOfRequest {
  readonly traceId: string | undefined;
}

/**
 * Lines logged through `logger` (a request's logger) carry `trace`'s id from now on. The id
 * is read only when a line is logged: a trace the runtime started holds its id as bytes, and
 * most traced requests log no line (recorded-span-context.ts).
 */
export function bindTraceId(logger: object, trace: TraceOfRequest): void {
  traces.set(logger, trace);
}

/** pino's `mixin`: adds trace_id to a line of a traced request's logger, nothing otherwise. */
export function traceIdMixin(
  _mergeObject: object,
  _level: number,
  logger: Logger,
): { trace_id?: string } {
  const traceId = traces.get(logger)?.traceId;
  return traceId === undefined ? {} : { trace_id: traceId };
}
