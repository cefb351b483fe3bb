/**
 * Jaeger v2 built by test/cluster/build-jaeger.sh, run on loopback ports with in-memory
 * storage: a real OTLP/HTTP receiver and the query HTTP API the Jaeger UI reads traces from.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BUILD_SCRIPT = fileURLToPath(new URL('../cluster/build-jaeger.sh', import.meta.url));
const SETUP_HINT =
  'run scripts/setup.sh --test (or test/cluster/build-jaeger.sh) to build Jaeger from its Go module';

/** The binary for the pinned version, without building it; throws with the fix when missing. */
export async function jaegerBinary(): Promise<string> {
  const preset = process.env['MODELDEPLOY_JAEGER'];
  if (preset !== undefined && preset !== '') return requireFile(preset);
  const dir = (await promisify(execFile)('bash', [BUILD_SCRIPT, '--dir'])).stdout.trim();
  if (!existsSync(join(dir, '.complete')))
    throw new Error(`no finished Jaeger build in ${dir}; ${SETUP_HINT}`);
  return requireFile(join(dir, 'bin', 'jaeger'));
}

function requireFile(path: string): string {
  if (!existsSync(path)) throw new Error(`missing ${path}; ${SETUP_HINT}`);
  return path;
}

/** A loopback port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

export interface RunningJaeger {
  /** The OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpEndpoint: string;
  /** The query service's base URL (/api/traces …). */
  readonly queryUrl: string;
  /** Everything Jaeger printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Only what the test needs: OTLP/HTTP in, memory storage, the query API, a health check. */
function config(ports: Record<'otlp' | 'query' | 'queryGrpc' | 'health', number>): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${ports.health}
  jaeger_query:
    storage:
      traces: memstore
    max_clock_skew_adjust: 0s
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Starts Jaeger and waits (bounded) until its health check and query API answer. */
export async function startJaeger(): Promise<RunningJaeger> {
  const binary = await jaegerBinary();
  const ports = {
    otlp: await freePort(),
    query: await freePort(),
    queryGrpc: await freePort(),
    health: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'md-jaeger-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, config(ports));
  const child = spawn(binary, ['--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const running: RunningJaeger = {
    otlpEndpoint: `http://127.0.0.1:${ports.otlp}`,
    queryUrl: `http://127.0.0.1:${ports.query}`,
    output: () => output,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForHttp(`http://127.0.0.1:${ports.health}/status`, child);
    await waitForHttp(`${running.queryUrl}/api/services`, child);
  } catch (err) {
    await running.stop();
    throw new Error(`${(err as Error).message}\njaeger output:\n${output.slice(-4000)}`);
  }
  return running;
}

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`jaeger did not answer ${url} within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
