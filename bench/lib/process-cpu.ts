import { readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds so far, user and system (kernel), from a /proc/…/stat line. */
export function statCpuSeconds(stat: string): { user: number; system: number } {
  // Fields after the command name (which may hold spaces) start at its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    user: Number(fields[11]) / TICKS_PER_SECOND,
    system: Number(fields[12]) / TICKS_PER_SECOND,
  };
}

/**
 * CPU seconds (user + system, every thread) a process has used so far. On a machine shared
 * with other work, CPU time per request moves much less than requests per second: a busy
 * neighbour takes wall-clock time from the server, not work it has to do per request.
 */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { user, system } = statCpuSeconds(await readFile(`/proc/${pid}/stat`, 'utf8'));
  if (!Number.isFinite(user) || !Number.isFinite(system))
    throw new Error(`cannot read CPU times from /proc/${pid}/stat`);
  return user + system;
}
