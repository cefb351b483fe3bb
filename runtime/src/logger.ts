import { pino, type Logger } from 'pino';
import type { RuntimeConfig } from './config/index.js';
import { traceIdMixin } from './observability/log-correlation.js';

/** JSON logs on stdout; every line carries the model name, version and track. */
export function createLogger(config: RuntimeConfig, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level: config.logLevel,
    base: { model: config.model.name, version: config.model.version, track: config.model.track },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // trace_id on the lines of traced requests (observability/log-correlation.ts).
    mixin: traceIdMixin,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
