/**
 * Runs the real operator (operator/src/main.ts under tsx) as a child process, the way a
 * pod would run it, and reads its JSON logs and /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OPERATOR_NODE_FLAGS } from '../../operator/src/node-flags.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface OperatorOptions {
  kubeconfigPath: string;
  namespaces: string[];
  env?: Record<string, string>;
  /** 'dist' runs the compiled operator (npm run build -w operator), as the image does. */
  entry?: 'source' | 'dist';
  /** Options for node itself; default: the flags the image runs the operator with. */
  nodeArgs?: readonly string[];
}

interface LogLine {
  msg?: string;
  metricsPort?: number;
  probePort?: number;
  leading?: boolean;
  [key: string]: unknown;
}

export class OperatorProcess {
  readonly logs: LogLine[] = [];
  metricsPort = 0;
  probePort = 0;
  private exit: Promise<number>;

  private constructor(private readonly child: ChildProcess) {
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))),
    );
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        this.onLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) =>
      process.stderr.write(`[operator] ${chunk.toString('utf8')}`),
    );
  }

  static async start(opts: OperatorOptions): Promise<OperatorProcess> {
    const args = [
      ...(opts.nodeArgs ?? OPERATOR_NODE_FLAGS),
      ...(opts.entry === 'dist'
        ? ['operator/dist/main.js']
        : ['--import', 'tsx', 'operator/src/main.ts']),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        KUBECONFIG: opts.kubeconfigPath,
        WATCH_NAMESPACES: opts.namespaces.join(','),
        METRICS_BIND_ADDRESS: '127.0.0.1:0',
        HEALTH_PROBE_BIND_ADDRESS: '127.0.0.1:0',
        RUNTIME_IMAGE: 'modeldeploy/runtime:test',
        LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const op = new OperatorProcess(child);
    // An operator outliving its test would keep retrying against a cluster that is gone.
    const killOnExit = (): void => {
      if (child.exitCode === null) child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    await op.waitForLog((l) => l.msg === 'caches synced', 60_000);
    return op;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    try {
      const parsed = JSON.parse(line) as LogLine;
      this.logs.push(parsed);
      if (parsed.metricsPort) this.metricsPort = parsed.metricsPort;
      if (parsed.probePort) this.probePort = parsed.probePort;
    } catch {
      this.logs.push({ msg: line });
    }
  }

  async waitForLog(match: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit.then(() => (exited = true));
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (exited)
        throw new Error(`operator exited before the expected log line; last lines: ${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(
          `operator log line not seen within ${timeoutMs} ms; last lines: ${this.tail()}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  tail(n = 8): string {
    return this.logs
      .slice(-n)
      .map((l) => JSON.stringify(l))
      .join('\n');
  }

  async metrics(): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
    return res.text();
  }

  /** Sum of a counter over the label sets matching `filter`. */
  async counter(name: string, filter: (labels: string) => boolean = () => true): Promise<number> {
    const text = await this.metrics();
    let total = 0;
    for (const line of text.split('\n')) {
      const m = new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+-]+)$`).exec(line);
      if (m && filter(m[1] ?? '')) total += Number(m[2]);
    }
    return total;
  }

  /** API write calls the operator made so far (POST, PUT, PATCH, DELETE). */
  writes(): Promise<number> {
    return this.counter('rest_client_requests_total', (l) =>
      /method="(POST|PUT|PATCH|DELETE)"/.test(l),
    );
  }

  async ready(): Promise<boolean> {
    const res = await fetch(`http://127.0.0.1:${this.probePort}/readyz`).catch(() => undefined);
    return res?.status === 200;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM and wait for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    return this.exit;
  }

  exited(): Promise<number> {
    return this.exit;
  }
}
