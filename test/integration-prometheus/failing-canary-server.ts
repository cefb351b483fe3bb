/**
 * A deliberately bad canary for the analysis test: a small HTTP process that exposes the
 * runtime's metric names and labels through prom-client and answers half of its /predict
 * calls with 500. Usage: node --import tsx failing-canary-server.ts <port> <model> <version>
 * Listens on 127.0.0.1 only; prints "listening <port>" when ready; exits on SIGTERM.
 */
import { createServer } from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';

const [portArg, model = 'bad-model', version = '3.0.0'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: failing-canary-server.ts <port> [model] [version]\n');
  process.exit(2);
}

const registry = new Registry();
registry.setDefaultLabels({ model, version, track: 'canary' });
const requests = new Counter({
  name: 'modeldeploy_requests_total',
  help: 'HTTP requests answered, by route pattern and status code',
  labelNames: ['route', 'code'] as const,
  registers: [registry],
});
const duration = new Histogram({
  name: 'modeldeploy_request_duration_seconds',
  help: 'Time from request received to response sent, by route pattern and status code',
  labelNames: ['route', 'code'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1],
  registers: [registry],
});

let served = 0;
const server = createServer((request, response) => {
  const started = performance.now();
  const finish = (route: string, code: number, body: string, type = 'application/json') => {
    response.writeHead(code, { 'content-type': type }).end(body);
    requests.inc({ route, code: String(code) });
    duration.observe({ route, code: String(code) }, (performance.now() - started) / 1000);
  };
  if (request.url === '/metrics') {
    void registry.metrics().then((text) => finish('/metrics', 200, text, registry.contentType));
    return;
  }
  if (request.method === 'POST' && request.url === '/predict') {
    request.resume();
    request.on('end', () => {
      served += 1;
      if (served % 2 === 0) finish('/predict', 500, '{"error":"candidate model crashed"}');
      else finish('/predict', 200, '{"outputs":{}}');
    });
    return;
  }
  finish('unmatched', 404, '{"error":"no route"}');
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
