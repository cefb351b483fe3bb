import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { ROOT } from './helpers.js';

export interface SpawnedRuntime {
  readonly child: ChildProcess;
  /** Every stdout line so far (pino JSON). */
  readonly lines: string[];
  stderr(): string;
  /** Resolves with the first stdout line matching pattern (already seen or still to come). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The exit code (null when killed by a signal) and the signal, if any. */
  readonly exited: Promise<number | null>;
  readonly signal: () => NodeJS.Signals | null;
}

/** Starts `node --import tsx runtime/src/main.ts` as the operator would, on a free loopback port. */
export function spawnRuntime(env: Record<string, string>, args: string[] = []): SpawnedRuntime {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/src/main.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      GRPC_PORT: '0',
      INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  let buffer = '';
  let exitSignal: NodeJS.Signals | null = null;
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.pattern.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  // 'close', not 'exit': it comes after stdout is drained, so `lines` has every line.
  const exited = new Promise<number | null>((r) =>
    child.on('close', (code, signal) => {
      exitSignal = signal;
      r(code);
    }),
  );
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    signal: () => exitSignal,
    waitFor: (pattern, timeoutMs = 20_000) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no log line ${pattern} in ${timeoutMs} ms; stderr: ${err.slice(0, 500)}`),
            ),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

/** The `address` of the runtime's `listening` log line. */
export const urlFrom = (line: string): string => (JSON.parse(line) as { address: string }).address;

export interface FreshResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * One request on its own connection (no agent, no keep-alive), as a client behind
 * kube-proxy opens them: the request rejects if the connection is refused or reset.
 */
export function freshRequest(
  url: string,
  method: 'GET' | 'POST',
  body?: string,
): Promise<FreshResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
