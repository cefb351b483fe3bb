import type { CliOutput } from './cli-output.js';
import { fetchSnapshot } from './fetch-snapshot.js';
import type { KubeSession } from './kube-session.js';
import { renderTree } from './render-tree.js';
import { EXIT, rolloutOutcome } from './rollout-outcome.js';

export interface WatchTiming {
  timeoutSeconds: number;
  intervalSeconds: number;
  now(): Date;
  sleep(ms: number): Promise<void>;
}

const CLEAR = '\x1b[H\x1b[2J';

/**
 * Redraws the tree until the rollout settles; the exit code says how. On a terminal the
 * screen is redrawn in place; into a pipe or file each changed tree is printed once.
 */
export async function runWatch(
  session: KubeSession,
  name: string,
  io: CliOutput,
  timing: WatchTiming,
): Promise<number> {
  const deadline = timing.now().getTime() + timing.timeoutSeconds * 1000;
  let previous = '';
  for (;;) {
    const snapshot = await fetchSnapshot(session, name);
    const tree = renderTree(snapshot, timing.now());
    if (io.tty) io.out(`${CLEAR}${tree}`);
    else if (tree !== previous) io.out(`${previous === '' ? '' : '\n'}${tree}`);
    previous = tree;
    const outcome = rolloutOutcome(snapshot.md);
    if (outcome.done) {
      io.out(`${outcome.code === EXIT.settled ? 'settled' : 'stopped'}: ${outcome.reason}\n`);
      return outcome.code;
    }
    if (timing.now().getTime() >= deadline) {
      io.err(
        `timed out after ${timing.timeoutSeconds} s; the rollout has not settled (raise --timeout to wait longer)\n`,
      );
      return EXIT.timeout;
    }
    await timing.sleep(timing.intervalSeconds * 1000);
  }
}
