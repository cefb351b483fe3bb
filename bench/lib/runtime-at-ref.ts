import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './models.js';

const run = promisify(execFile);

/** A checkout of another commit whose runtime/dist is built, to run as a baseline. */
export interface RuntimeAtRef {
  /** The checkout's root; its runtime/dist/main.js is the baseline runtime. */
  readonly root: string;
  /** The commit it holds. */
  readonly commit: string;
  remove(): Promise<void>;
}

/**
 * Builds the runtime of `ref` in a temporary git worktree (detached, removed afterwards), with
 * this checkout's node_modules: a superset of what an older runtime needs, so no install runs.
 */
export async function buildRuntimeAt(ref: string): Promise<RuntimeAtRef> {
  const { stdout } = await run('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
    cwd: REPO_ROOT,
  });
  const commit = stdout.trim();
  const parent = await mkdtemp(join(tmpdir(), 'md-bench-ref-'));
  const root = join(parent, 'checkout');
  await run('git', ['worktree', 'add', '--detach', root, commit], { cwd: REPO_ROOT });
  const remove = async (): Promise<void> => {
    await run('git', ['worktree', 'remove', '--force', root], { cwd: REPO_ROOT }).catch(() => {});
    await rm(parent, { recursive: true, force: true });
  };
  try {
    await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
      cwd: join(root, 'runtime'),
    });
  } catch (err) {
    await remove();
    throw new Error(`could not build the runtime of ${ref} (${commit}): ${(err as Error).message}`);
  }
  return { root, commit, remove };
}
