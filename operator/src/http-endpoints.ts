import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Probes {
  live(): boolean;
  ready(): boolean;
}

function answer(res: http.ServerResponse, code: number, body: string, type = 'text/plain'): void {
  res.writeHead(code, { 'Content-Type': type });
  res.end(body);
}

/** /healthz and /readyz, the paths controller-runtime operators serve on their probe port. */
export function probeServer(probes: Probes): http.Server {
  return http.createServer((req, res) => {
    if (req.url === '/healthz')
      return answer(res, probes.live() ? 200 : 500, probes.live() ? 'ok' : 'not live');
    if (req.url === '/readyz')
      return answer(res, probes.ready() ? 200 : 503, probes.ready() ? 'ok' : 'caches not synced');
    answer(res, 404, 'not found: try /healthz or /readyz');
  });
}

export function metricsServer(registry: Registry): http.Server {
  return http.createServer((req, res) => {
    if (req.url !== '/metrics') return answer(res, 404, 'not found: try /metrics');
    registry
      .metrics()
      .then((text) => answer(res, 200, text, registry.contentType))
      .catch((err: unknown) => answer(res, 500, String(err)));
  });
}

export function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
