/**
 * moto (from PyPI, in the test venv test/python/setup-venv.sh installs) in server mode on a
 * loopback port: one endpoint that answers STS (AssumeRoleWithWebIdentity), IAM and S3 like
 * AWS, and, once its IAM enforcement is on, refuses what a principal's policies do not allow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { startOnFreePort } from '../cluster/ports.js';
import { GiveUp, stopChild, waitFor } from '../integration-prometheus/prometheus-server.js';
import { testVenvPython } from '../runtime/python-venv.js';

export interface MotoServer {
  /** http://127.0.0.1:<port>, for every service's endpoint. */
  readonly endpoint: string;
  /**
   * Turns IAM enforcement on after `count` more unchecked actions (moto's
   * /moto-api/reset-auth): from then on each request must be signed by a known principal
   * whose policies allow it.
   */
  enforceIamAfter(count: number): Promise<void>;
  /** The last 8000 characters the server wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startMotoServer(): Promise<MotoServer> {
  const python = testVenvPython();
  const { child, port, output } = await startOnFreePort('moto', (p) => startOn(python, p));
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    enforceIamAfter: async (count) => {
      // The body is the bare count; a JSON content type keeps Flask from reading it as a form.
      const res = await fetch(`${endpoint}/moto-api/reset-auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: String(count),
      });
      if (!res.ok) throw new Error(`moto reset-auth: ${res.status} ${await res.text()}`);
    },
    output,
    stop: () => stopChild(child),
  };
}

async function startOn(
  python: string,
  port: number,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // No enforcement until the set-up switches it on through /moto-api/reset-auth.
    env: withoutAuthCount(process.env),
  });
  let text = '';
  const append = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  try {
    await waitFor(
      `moto on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new GiveUp(`moto exited: ${text}`);
        return (await fetch(`http://127.0.0.1:${port}/moto-api/data.json`)).ok;
      },
      60_000,
    );
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, port, output: () => text };
}

function withoutAuthCount(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest['INITIAL_NO_AUTH_ACTION_COUNT'];
  return rest;
}
