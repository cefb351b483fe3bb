import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { pickFreePorts, startOnFreePort } from '../cluster/ports.js';

/**
 * A real Prometheus server for a test: Debian's binary (installed by
 * scripts/prometheus-setup.sh when missing), our own process with a temporary config and
 * TSDB, listening on a free loopback port. The package's system service is never used.
 */

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * A loopback port nobody listened on a moment ago: for a "nothing listens here" check.
 * To start a server, use startOnFreePort, which picks again when the port gets taken.
 */
export async function freePort(): Promise<number> {
  const [port] = await pickFreePorts(1);
  if (port === undefined) throw new Error('pickFreePorts(1) returned no port');
  return port;
}

/** Path of the prometheus binary; installs the Debian package on first use. */
export async function prometheusBinary(): Promise<string> {
  const { stdout } = await run(join(repoRoot, 'scripts/prometheus-setup.sh'), [], {
    timeout: 600_000,
  });
  const bin = stdout.trim().split('\n').pop();
  if (!bin) throw new Error('scripts/prometheus-setup.sh printed no binary path');
  return bin;
}

/** Thrown by a check when waiting longer cannot help (the process died); ends waitFor. */
export class GiveUp extends Error {}

/**
 * Polls `check` every 200 ms until it returns true or `timeoutMs` passes; other errors
 * from `check` count as "not yet".
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const detail = last instanceof Error ? ` (last error: ${last.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/** Stops a child we started (by its handle, never by name) and waits for it to exit. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface PrometheusServer {
  url: string;
  /** stderr of the server so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: {
  targets: string[];
  scrapeIntervalSeconds?: number;
}): Promise<PrometheusServer> {
  const bin = await prometheusBinary();
  const dir = await mkdtemp(join(tmpdir(), 'modeldeploy-prometheus-'));
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: canaries',
    `    scrape_timeout: ${interval}`,
    '    static_configs:',
    `      - targets: [${options.targets.map((t) => `'${t}'`).join(', ')}]`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  try {
    return await startOnFreePort('prometheus', (port) => startOn(bin, dir, port));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One attempt on one port; stops the child when it does not become ready. */
async function startOn(bin: string, dir: string, port: number): Promise<PrometheusServer> {
  const child = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, `data-${port}`)}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8000);
  });
  // 'close' comes after the last of stderr, which says why it exited.
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `Prometheus on ${url} to be ready`,
      async () => {
        if (child.exitCode !== null) {
          await closed;
          throw new GiveUp(`prometheus exited: ${stderr}`);
        }
        return (await fetch(`${url}/-/ready`)).ok;
      },
      30_000,
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, log: () => stderr, stop };
}
