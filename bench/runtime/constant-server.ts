/**
 * The HTTP ceiling: fastify (the runtime's version and defaults, no logger) with a POST route
 * that parses the same JSON body the inference benchmarks send and answers a constant.
 *
 *   node --import tsx bench/runtime/constant-server.ts --port 18080
 *
 * bench/runtime/run.ts compiles it first and runs the JavaScript, as the runtime runs dist.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const ANSWER = '{"model_name":"constant","outputs":[]}';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '18080' } } });
  const app = Fastify({ bodyLimit: 8 * 1024 * 1024 });
  app.get('/ready', async (_request, reply) =>
    reply.type('application/json').send('{"ready":true}'),
  );
  app.post('/constant', async (_request, reply) => reply.type('application/json').send(ANSWER));
  await app.listen({ host: '127.0.0.1', port: Number(values.port) });
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`constant-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
