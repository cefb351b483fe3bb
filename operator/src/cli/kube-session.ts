import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** The kubectl flags that choose a cluster, identity and namespace. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface ApiResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One cluster, identity and namespace, chosen by the same rules kubectl follows. */
export interface KubeSession {
  readonly namespace: string;
  readonly context: string;
  request(
    method: string,
    path: string,
    body?: string,
    contentType?: string,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * --kubeconfig, else KUBECONFIG (a list, merged the way kubectl merges it), else
 * ~/.kube/config; --context, else current-context; -n, else the context's namespace, else
 * "default". Unlike @kubernetes/client-node's own default, no silent fallback to the
 * in-cluster account or localhost:8080: with no kubeconfig the plugin says so.
 */
export function openSession(flags: KubeFlags): KubeSession {
  const kc = loadKubeconfig(flags.kubeconfig);
  if (kc.getContexts().length === 0) {
    throw new Error(
      "no kubeconfig with a context found (looked at --kubeconfig, KUBECONFIG and ~/.kube/config); point KUBECONFIG at your cluster's kubeconfig",
    );
  }
  if (flags.context) {
    if (kc.getContextObject(flags.context) === null) {
      const known = kc
        .getContexts()
        .map((c) => c.name)
        .join(', ');
      throw new Error(`context "${flags.context}" is not in the kubeconfig (contexts: ${known})`);
    }
    kc.setCurrentContext(flags.context);
  }
  const context = kc.getCurrentContext();
  if (!context) throw new Error('the kubeconfig has no current-context; pass --context NAME');
  const cluster = kc.getCurrentCluster();
  if (cluster === null)
    throw new Error(`context "${context}" names a cluster the kubeconfig does not define`);
  const namespace = flags.namespace ?? kc.getContextObject(context)?.namespace ?? 'default';
  return {
    namespace,
    context,
    request: (method, path, body, contentType, headers) =>
      send(kc, new URL(cluster.server.replace(/\/$/, '') + path), method, body, {
        ...headers,
        ...(contentType && { 'content-type': contentType }),
      }),
  };
}

function loadKubeconfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  const where =
    file ?? (process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : '~/.kube/config');
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot load the kubeconfig (${where}): ${(err as Error).message}`);
  }
  return kc;
}

async function send(
  kc: KubeConfig,
  url: URL,
  method: string,
  body: string | undefined,
  headers: Record<string, string>,
): Promise<ApiResponse> {
  const opts: https.RequestOptions = {
    method,
    headers: {
      accept: 'application/json',
      ...headers,
    },
    timeout: REQUEST_TIMEOUT_MS,
  };
  await kc.applyToHTTPSOptions(opts);
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () =>
      req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
    );
    req.on('error', (err) =>
      reject(
        new Error(
          `cannot reach the API server at ${url.origin} (${err.message}); check the context and that the cluster is up`,
        ),
      ),
    );
    req.end(body);
  });
}
