import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Restricts a running process and all its threads to `cpus` (taskset's list syntax, e.g.
 * "0" or "0-1"). Threads it starts later inherit the set. Used to lay out two servers on
 * one machine as they would be on two: each on its own core.
 */
export async function pinProcess(pid: number, cpus: string): Promise<void> {
  await promisify(execFile)('taskset', ['--all-tasks', '--cpu-list', '--pid', cpus, String(pid)]);
}
