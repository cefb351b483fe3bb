/**
 * The runtime as a library (benchmarks, tests, embedding): build the configuration, load
 * the model, build the fastify server, listen. `main.ts` is the CLI on top of the same API.
 */
export { ConfigError, parseConfig, type RuntimeConfig } from './config/index.js';
export { loadModel, type LoadedModel } from './model/load-model.js';
export { buildServer, type BuildServerOptions, type RuntimeServer } from './server.js';
