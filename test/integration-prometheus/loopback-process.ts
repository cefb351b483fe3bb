import { spawn, type ChildProcess } from 'node:child_process';
import { startOnFreePort } from '../cluster/ports.js';
import { GiveUp, stopChild, waitFor } from './prometheus-server.js';

/**
 * A server process of a test (the runtime, a fake canary) on a loopback port it gets at
 * start: when another process takes the picked port first, the process exits with
 * "address already in use" and is started again on another port.
 */
export interface LoopbackProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** The last 8000 characters of its stdout and stderr. */
  output(): string;
}

export interface LoopbackProcessOptions {
  readonly what: string;
  /** Arguments to `node`, given the port. */
  readonly args: (port: number) => string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Path that answers 2xx once the process serves. */
  readonly readyPath: string;
  readonly timeoutMs?: number;
}

export function startLoopbackProcess(opts: LoopbackProcessOptions): Promise<LoopbackProcess> {
  return startOnFreePort(opts.what, (port) => startOn(opts, port));
}

async function startOn(opts: LoopbackProcessOptions, port: number): Promise<LoopbackProcess> {
  const child = spawn(process.execPath, opts.args(port), {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `${opts.what} on ${url}${opts.readyPath}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          await closed;
          throw new GiveUp(`${opts.what} exited during startup: ${output}`);
        }
        return (await fetch(`${url}${opts.readyPath}`)).ok;
      },
      opts.timeoutMs ?? 60_000,
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { child, port, url, output: () => output };
}
