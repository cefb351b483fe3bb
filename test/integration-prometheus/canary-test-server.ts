/**
 * A stand-in runtime pod for the analysis tests whose answers we choose: a small HTTP
 * process that exposes the runtime's metric names and labels through prom-client (with the
 * runtime's own latency buckets) and answers /predict with a fixed cycle of status codes
 * after a fixed delay. It lets one Prometheus hold a failing canary next to a healthy one
 * of the same model and version in another namespace, a candidate answering 400, an
 * overloaded one answering 503, and tracks with different latencies.
 *
 * Usage: node --import tsx canary-test-server.ts --port N --model M --version V
 *          [--track canary|stable] [--instance <namespace>/<name>] [--codes 200,500] [--delay-ms 0]
 * Listens on 127.0.0.1 only; prints "listening <port>" when ready; exits on SIGTERM.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Counter, Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../../runtime/src/metrics.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    model: { type: 'string', default: 'bad-model' },
    version: { type: 'string', default: '3.0.0' },
    track: { type: 'string', default: 'canary' },
    instance: { type: 'string' },
    codes: { type: 'string', default: '200,500' },
    'delay-ms': { type: 'string', default: '0' },
  },
});
const port = Number(values.port);
const codes = values.codes.split(',').map(Number);
const delayMs = Number(values['delay-ms']);
if (!Number.isInteger(port) || port <= 0 || codes.some((c) => !Number.isInteger(c))) {
  process.stderr.write(
    'usage: canary-test-server.ts --port N [--model M] [--version V] [--track T] [--instance ns/name] [--codes 200,500] [--delay-ms D]\n',
  );
  process.exit(2);
}

const registry = new Registry();
registry.setDefaultLabels({
  model: values.model,
  version: values.version,
  track: values.track,
  ...(values.instance !== undefined ? { modeldeployment: values.instance } : {}),
});
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
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

let served = 0;
const server = createServer((request, response) => {
  const started = performance.now();
  const finish = (route: string, code: number, body: string, type = 'application/json') => {
    const headers = { 'content-type': type, ...(code === 503 ? { 'retry-after': '1' } : {}) };
    response.writeHead(code, headers).end(body);
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
      const code = codes[served % codes.length] ?? 200;
      served += 1;
      const body = code === 200 ? '{"outputs":{}}' : `{"error":"answered ${code} on purpose"}`;
      setTimeout(() => finish('/predict', code, body), delayMs);
    });
    return;
  }
  finish('unmatched', 404, '{"error":"no route"}');
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
