/**
 * A real S3-compatible server for the model-storage tests: versitygw (built from its Go
 * module by test/cluster/build-versitygw.sh) with its posix backend in a temporary dir, on
 * a loopback port, with one root access key. It signs and checks SigV4 like S3 does:
 * a wrong secret is refused with 403, a missing key answers 404.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { builtToolBinary } from './built-tool.js';
import { startOnFreePort } from '../cluster/ports.js';
import { GiveUp, stopChild, waitFor } from '../integration-prometheus/prometheus-server.js';

export interface S3Server {
  /** http://127.0.0.1:<port>, for MODEL_S3_ENDPOINT. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Creates the bucket when needed and stores the object with the real SDK. */
  put(bucket: string, key: string, body: Uint8Array): Promise<void>;
  /** The last 8000 characters the server wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Path of the versitygw binary for the current pins, without building it. */
export function versitygwBinary(): Promise<string> {
  return builtToolBinary('build-versitygw.sh', 'versitygw', 'MODELDEPLOY_VERSITYGW');
}

/** A server certificate for https:// (its CA goes to the clients). */
export interface S3Tls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
}

export async function startS3Server(tls?: S3Tls): Promise<S3Server> {
  const bin = await versitygwBinary();
  const dir = mkdtempSync(join(tmpdir(), 'modeldeploy-s3-'));
  const credentials = {
    accessKeyId: 'MODELDEPLOYTESTKEY01',
    secretAccessKey: 'test-secret-0123456789',
  };
  try {
    const { child, port, output } = await startOnFreePort('versitygw', (p) =>
      startOn(bin, dir, credentials, p, tls),
    );
    const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      ...(tls ? { requestHandler: { httpsAgent: new Agent({ ca: tls.caPem }) } } : {}),
    });
    const buckets = new Set<string>();
    return {
      endpoint,
      ...credentials,
      output,
      put: async (bucket, key, body) => {
        if (!buckets.has(bucket)) {
          await client.send(new CreateBucketCommand({ Bucket: bucket }));
          buckets.add(bucket);
        }
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      },
      stop: async () => {
        client.destroy();
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function startOn(
  bin: string,
  dir: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  port: number,
  tls: S3Tls | undefined,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const root = join(dir, 'root');
  const sidecar = join(dir, 'meta');
  mkdirSync(root, { recursive: true });
  mkdirSync(sidecar, { recursive: true });
  // Metadata in a sidecar dir: the test's filesystem (tmpfs, overlay) may lack user xattrs.
  const child = spawn(
    bin,
    [
      '--port',
      `127.0.0.1:${port}`,
      '--access',
      credentials.accessKeyId,
      '--secret',
      credentials.secretAccessKey,
      '--quiet',
      ...(tls ? ['--cert', tls.certFile, '--key', tls.keyFile] : []),
      'posix',
      '--sidecar',
      sidecar,
      root,
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
      `versitygw on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new GiveUp(`versitygw exited: ${text}`);
        // Any answer (an anonymous request is refused) means it serves.
        return await answers(port, tls);
      },
      30_000,
    );
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, port, output: () => text };
}

/** Whether anything answers on the port (over TLS with the test CA when the server uses it). */
async function answers(port: number, tls: S3Tls | undefined): Promise<boolean> {
  if (!tls) return (await fetch(`http://127.0.0.1:${port}/`)).status > 0;
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${port}/`, { ca: tls.caPem }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 0) > 0);
    });
    req.on('error', reject);
    req.end();
  });
}
