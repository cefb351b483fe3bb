import https from 'node:https';
import http from 'node:http';
import { ApiError } from './api-error.js';
import { loadConnection, type KubeConnection } from './kube-connection.js';
import { WatchLineDecoder } from './watch-lines.js';
import type { KubeList, KubeObject, WatchEvent } from './object.js';

/** Hooks for metrics: every request the operator makes, by method and answer. */
export type RequestObserver = (method: string, code: number, seconds: number) => void;

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export interface WatchHandle {
  /** Resolves when the server ends the watch or the connection drops; rejects on a non-2xx answer. */
  done: Promise<void>;
  stop(): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A small JSON client for kube-apiserver. We talk HTTP ourselves (kubeconfig or the pod's
 * ServiceAccount only supply the server, CA and credentials) so objects stay plain JSON:
 * timestamps remain strings, which keeps status comparisons exact and memory per cached
 * object low.
 */
export class KubeClient {
  private readonly agent: https.Agent | http.Agent;
  /** The server address without a trailing slash; request paths are appended to it. */
  private readonly base: string;

  constructor(
    private readonly connection: KubeConnection,
    private readonly observe: RequestObserver = () => {},
  ) {
    const { tls } = connection;
    // Keep a path prefix in the server address (API servers behind a proxy have one).
    this.base = connection.server.href.replace(/\/+$/, '');
    this.agent =
      connection.server.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            maxSockets: 32,
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
            ...(tls.servername ? { servername: tls.servername } : {}),
            rejectUnauthorized: tls.rejectUnauthorized,
          })
        : new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  /** From a kubeconfig path (or list), else $KUBECONFIG, the pod's ServiceAccount, ~/.kube/config. */
  static async load(
    kubeconfigPath: string | undefined,
    observe?: RequestObserver,
  ): Promise<KubeClient> {
    return new KubeClient(await loadConnection(kubeconfigPath), observe);
  }

  /** Where the connection settings came from (kubeconfig path or in-cluster). */
  get origin(): string {
    return this.connection.origin;
  }

  async request<T>(opts: RequestOptions): Promise<T> {
    const started = performance.now();
    const res = await this.send(opts);
    const text = await readBody(res);
    const code = res.statusCode ?? 0;
    this.observe(opts.method, code, (performance.now() - started) / 1000);
    if (code < 200 || code >= 300) throw toApiError(code, text, opts);
    return (text.length > 0 ? JSON.parse(text) : {}) as T;
  }

  get<T extends KubeObject>(path: string): Promise<T> {
    return this.request<T>({ method: 'GET', path });
  }

  list<T extends KubeObject>(
    path: string,
    query: RequestOptions['query'] = {},
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({ method: 'GET', path, query });
  }

  /** Server-side apply: we send only the fields we own, the server merges. */
  apply<T extends KubeObject>(
    path: string,
    obj: KubeObject,
    fieldManager: string,
    force = true,
  ): Promise<T> {
    return this.request<T>({
      method: 'PATCH',
      path,
      query: { fieldManager, force, fieldValidation: 'Strict' },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  mergePatch<T extends KubeObject>(path: string, patch: unknown, fieldManager: string): Promise<T> {
    return this.request<T>({
      method: 'PATCH',
      path,
      query: { fieldManager },
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  create<T extends KubeObject>(path: string, obj: unknown, fieldManager: string): Promise<T> {
    return this.request<T>({ method: 'POST', path, query: { fieldManager }, body: obj });
  }

  replace<T extends KubeObject>(path: string, obj: unknown, fieldManager: string): Promise<T> {
    return this.request<T>({ method: 'PUT', path, query: { fieldManager }, body: obj });
  }

  delete(path: string, query: RequestOptions['query'] = {}): Promise<unknown> {
    return this.request<unknown>({
      method: 'DELETE',
      path,
      query: { propagationPolicy: 'Background', ...query },
    });
  }

  /** Streams watch events until the server closes the watch; the caller re-lists or re-watches. */
  watch(
    path: string,
    resourceVersion: string,
    onEvent: (e: WatchEvent) => void,
    timeoutSeconds = 300,
  ): WatchHandle {
    const controller = new AbortController();
    const query = { watch: true, resourceVersion, allowWatchBookmarks: true, timeoutSeconds };
    const done = this.streamWatch(
      { method: 'GET', path, query, timeoutMs: 0 },
      controller.signal,
      onEvent,
    );
    return { done, stop: () => controller.abort() };
  }

  private async streamWatch(
    opts: RequestOptions,
    signal: AbortSignal,
    onEvent: (e: WatchEvent) => void,
  ): Promise<void> {
    const res = await this.send(opts, signal);
    const code = res.statusCode ?? 0;
    this.observe('WATCH', code, 0);
    if (code < 200 || code >= 300) throw toApiError(code, await readBody(res), opts);
    const decoder = new WatchLineDecoder();
    await new Promise<void>((resolve, reject) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        let events: WatchEvent[];
        try {
          events = decoder.push(chunk);
        } catch (err) {
          // Thrown here it would escape the stream handler and crash the process.
          res.destroy();
          reject(err);
          return;
        }
        for (const e of events) onEvent(e);
      });
      res.on('end', resolve);
      res.on('close', resolve);
      res.on('error', () => resolve());
    });
  }

  private async send(opts: RequestOptions, signal?: AbortSignal): Promise<http.IncomingMessage> {
    const url = new URL(this.base + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { Accept: 'application/json' };
    const authorization = await this.connection.authorization();
    if (authorization) headers['Authorization'] = authorization;
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(
        url,
        { method: opts.method, headers, agent: this.agent, signal },
        resolve,
      );
      const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      if (timeout > 0)
        req.setTimeout(timeout, () =>
          req.destroy(new Error(`${opts.method} ${opts.path} timed out after ${timeout} ms`)),
        );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function toApiError(code: number, text: string, opts: RequestOptions): ApiError {
  let reason = 'Unknown';
  let message = text.slice(0, 500);
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    reason = status.reason ?? reason;
    message = status.message ?? message;
  } catch {
    // Not a Status object (e.g. a proxy answered); keep the raw text.
  }
  return new ApiError(code, reason, message, opts.method, opts.path);
}
