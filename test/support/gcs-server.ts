/**
 * A real GCS emulator for the model-storage tests: fake-gcs-server (built from its Go module
 * by test/cluster/build-fake-gcs-server.sh) with its in-memory backend, on a loopback port.
 * It serves the JSON API the client uses (object metadata, media downloads, 404 for a
 * missing object or bucket) but checks no credentials: see gcs-iam-gate.ts for refusals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { builtToolBinary } from './built-tool.js';
import { startOnFreePort } from '../cluster/ports.js';
import { GiveUp, stopChild, waitFor } from '../integration-prometheus/prometheus-server.js';

export interface GcsServer {
  /** http://127.0.0.1:<port>, for MODEL_GCS_ENDPOINT. */
  readonly endpoint: string;
  /** Creates the bucket when needed and uploads the object through the JSON API. */
  put(bucket: string, object: string, body: Uint8Array): Promise<void>;
  /** The last 8000 characters the server wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Path of the fake-gcs-server binary for the current pins, without building it. */
export function fakeGcsServerBinary(): Promise<string> {
  return builtToolBinary(
    'build-fake-gcs-server.sh',
    'fake-gcs-server',
    'MODELDEPLOY_FAKE_GCS_SERVER',
  );
}

export async function startGcsServer(): Promise<GcsServer> {
  const bin = await fakeGcsServerBinary();
  const { child, port, output } = await startOnFreePort('fake-gcs-server', (p) => startOn(bin, p));
  const endpoint = `http://127.0.0.1:${port}`;
  const buckets = new Set<string>();
  return {
    endpoint,
    output,
    put: async (bucket, object, body) => {
      if (!buckets.has(bucket)) {
        await call(endpoint, '/storage/v1/b', JSON.stringify({ name: bucket }), 'application/json');
        buckets.add(bucket);
      }
      const query = new URLSearchParams({ uploadType: 'media', name: object });
      await call(
        endpoint,
        `/upload/storage/v1/b/${bucket}/o?${query}`,
        body,
        'application/octet-stream',
      );
    },
    stop: () => stopChild(child),
  };
}

async function call(
  endpoint: string,
  path: string,
  body: Uint8Array | string,
  contentType: string,
): Promise<void> {
  const res = await fetch(`${endpoint}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  if (!res.ok) throw new Error(`fake-gcs-server POST ${path}: ${res.status} ${await res.text()}`);
}

async function startOn(
  bin: string,
  port: number,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const address = `127.0.0.1:${port}`;
  const child = spawn(
    bin,
    [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(port),
      '-backend',
      'memory',
      '-public-host',
      address,
      '-external-url',
      `http://${address}`,
      '-log-level',
      'warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const append = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  try {
    await waitFor(
      `fake-gcs-server on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new GiveUp(`fake-gcs-server exited: ${text}`);
        return (await fetch(`http://${address}/storage/v1/b`)).ok;
      },
      30_000,
    );
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, port, output: () => text };
}
