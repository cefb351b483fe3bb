import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertLoopback } from './wrk.js';

export interface ServerSpec {
  /** Short label used in tables and log file names. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** GET this until it answers 200. */
  readonly readyUrl: string;
  readonly readyTimeoutMs?: number;
  /** stdout and stderr go here (appended). */
  readonly logFile: string;
}

/** A server under test, started as its own process group so it and its workers stop together. */
export class ServerProcess {
  private exited = false;

  private constructor(
    readonly spec: ServerSpec,
    private readonly child: ChildProcess,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(spec: ServerSpec): Promise<ServerProcess> {
    assertLoopback(spec.readyUrl);
    const log = createWriteStream(spec.logFile, { flags: 'a' });
    await new Promise<void>((resolve) => log.once('open', () => resolve()));
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', log, log],
    });
    const server = new ServerProcess(spec, child);
    try {
      await server.waitReady(spec.readyTimeoutMs ?? 120_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`${this.spec.label} exited while starting; see ${this.spec.logFile}`);
      }
      try {
        const res = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(
      `${this.spec.label} not ready after ${timeoutMs} ms at ${this.spec.readyUrl}; see ${this.spec.logFile}`,
    );
  }

  /** Peak resident memory (VmHWM) of every process in the group, added up, in MiB. */
  async peakRssMiB(): Promise<number> {
    let kib = 0;
    for (const pid of await processGroupMembers(this.pid)) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
      if (match?.[1] !== undefined) kib += Number(match[1]);
    }
    return kib / 1024;
  }

  /** SIGTERM to the whole group, SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    signalGroup(this.child.pid, 'SIGTERM');
    const killed = await Promise.race([gone.then(() => false), sleep(10_000).then(() => true)]);
    if (killed) {
      signalGroup(this.child.pid, 'SIGKILL');
      await gone;
    }
    // Workers that outlive their parent still belong to the group.
    for (let i = 0; i < 20 && (await processGroupMembers(this.child.pid)).length > 0; i++) {
      if (i === 10) signalGroup(this.child.pid, 'SIGKILL');
      await sleep(200);
    }
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Processes whose process group id is `pgid` (the server and the workers it forked). */
async function processGroupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name: state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
