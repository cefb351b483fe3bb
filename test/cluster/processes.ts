import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';

/** A control-plane component running in its own process group. */
export interface Component {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
}

export interface StartSpec {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Extra environment on top of ours. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The last lines of a component log, for error messages that show why it failed. */
export function logTail(logFile: string, lines = 25): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

const REAPER_SCRIPT = [
  // Reads one process-group id per line until its stdin closes. stdin closes when the
  // harness process exits for any reason (even SIGKILL, which runs no JS handler), so
  // then every group is killed and the temp dir removed: nothing outlives the suite.
  'pgs=""',
  'while read -r pg; do pgs="$pgs $pg"; done',
  // No "--" before the negative pid: dash's kill rejects it ("Illegal number").
  'for pg in $pgs; do kill -KILL "-$pg" 2>/dev/null; done',
  // A real node (real-node.ts) leaves its own clean-up script: containers, shims, mounts,
  // bridge, sysctls. What it cannot undo, the next real-node start does.
  'if [ -x "$1/node/reap.sh" ]; then "$1/node/reap.sh" >/dev/null 2>&1; fi',
  // --one-file-system: mounts that are still there are never followed.
  'rm -rf --one-file-system -- "$1"',
].join('\n');

/**
 * Starts components as process-group leaders and guarantees they die with the harness:
 * on stop(), on process exit, on SIGINT/SIGTERM, and (through a reaper) on SIGKILL.
 */
export class ProcessSupervisor {
  private readonly running = new Map<number, Component>();
  private readonly children = new Map<number, ChildProcess>();
  private readonly reaper: ChildProcess;
  private readonly onSignal = (signal: NodeJS.Signals): void => this.handleSignal(signal);
  private readonly onExit = (): void => this.killAllNow();
  private closed = false;

  constructor(private readonly tempDir: string) {
    this.reaper = spawn('sh', ['-c', REAPER_SCRIPT, 'modeldeploy-cluster-reaper', tempDir], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.reaper.unref();
    // The pipe must not keep the event loop (and thus a finished test run) alive.
    if (this.reaper.stdin instanceof Socket) this.reaper.stdin.unref();
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    process.on('exit', this.onExit);
  }

  start(spec: StartSpec): Component {
    if (this.closed) throw new Error(`cannot start ${spec.name}: the cluster is stopping`);
    const fd = openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(spec.binary, [...spec.args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: spec.env === undefined ? process.env : { ...process.env, ...spec.env },
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      throw new Error(`could not start ${spec.name} (${spec.binary}); is the binary present?`);
    }
    let done = false;
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        done = true;
        this.running.delete(pid);
        this.children.delete(pid);
        resolve(code ?? signal ?? 'unknown');
      });
    });
    child.unref();
    this.reaper.stdin?.write(`${pid}\n`);
    const component: Component = {
      name: spec.name,
      pid,
      logFile: spec.logFile,
      exited,
      hasExited: () => done,
    };
    this.running.set(pid, component);
    this.children.set(pid, child);
    return component;
  }

  /** SIGTERM the component's whole group, SIGKILL it after graceMs. */
  async stop(component: Component, graceMs = 5_000): Promise<void> {
    if (component.hasExited()) return;
    // Components are unref'd so a finished test run can exit; while we wait for one to
    // stop, it must hold the event loop open or the process would quit mid-teardown.
    this.children.get(component.pid)?.ref();
    signalGroup(component.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(component.pid, 'SIGKILL'), graceMs);
    await component.exited;
    clearTimeout(timer);
    // Children of the leader (none expected) would still hold the group; kill them too.
    signalGroup(component.pid, 'SIGKILL');
  }

  /** Stop everything in reverse start order, then remove the temp dir. */
  async stopAll(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const components = [...this.running.values()].reverse();
    for (const component of components) await this.stop(component, graceMs);
    this.detach();
  }

  private killAllNow(): void {
    for (const pid of this.running.keys()) signalGroup(pid, 'SIGKILL');
    this.running.clear();
    this.children.clear();
    this.detach();
  }

  private handleSignal(signal: NodeJS.Signals): void {
    // Another listener (the CLI, a test runner) owns shutdown and will call stop() or
    // exit, and the exit hook and the reaper still catch whatever it leaves.
    if (process.listenerCount(signal) > 1) return;
    this.killAllNow();
    // We were the only listener: restore the default behaviour (terminate) by re-raising.
    process.kill(process.pid, signal);
  }

  private detach(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    process.off('exit', this.onExit);
    this.reaper.stdin?.end();
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we want.
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Processes whose command line mentions `marker` (every component's arguments contain
 * the cluster's temp dir). Used to prove that nothing was left behind.
 */
export function processesMentioning(marker: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmdline.includes(marker) && !cmdline.includes('modeldeploy-cluster-reaper')) {
      found.push({ pid, cmdline: cmdline.trim() });
    }
  }
  return found;
}
