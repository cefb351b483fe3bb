/**
 * The kstatus checker built by test/cluster/build-kstatus.sh: sigs.k8s.io/cli-utils' own
 * pkg/kstatus/status, the library Flux, kpt and Helm's watcher use to decide whether a
 * resource is done. Tests assert its verdict instead of re-implementing its rules.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const KSTATUS_BUILD_SCRIPT = fileURLToPath(
  new URL('../cluster/build-kstatus.sh', import.meta.url),
);

export const KSTATUS_STATUSES = [
  'Current',
  'InProgress',
  'Failed',
  'Terminating',
  'Unknown',
  'NotFound',
] as const;
export type KstatusStatus = (typeof KSTATUS_STATUSES)[number];

/** One line of the checker's output: the library's verdict on one object. */
export interface KstatusVerdict {
  readonly name: string;
  readonly status: KstatusStatus;
  readonly message: string;
}

const SETUP_HINT =
  'run scripts/setup.sh --test (or test/cluster/build-kstatus.sh) to build the kstatus checker';

const execFileAsync = promisify(execFile);

/**
 * Path of the checker binary for the current pins, without building it. Throws with the
 * command to run when it is missing, so a test fails with a fix instead of skipping.
 * MODELDEPLOY_KSTATUS=<binary> uses a prebuilt checker.
 */
export async function kstatusBinary(): Promise<string> {
  const preset = process.env['MODELDEPLOY_KSTATUS'];
  if (preset !== undefined && preset !== '') return requireFile(preset);
  let dir: string;
  try {
    dir = (await execFileAsync('bash', [KSTATUS_BUILD_SCRIPT, '--dir'])).stdout.trim();
  } catch (err) {
    // --dir hashes `go env GOVERSION`: without Go on PATH the build dir cannot be named.
    throw new Error(`${KSTATUS_BUILD_SCRIPT} --dir failed (is Go on PATH?): ${String(err)}`);
  }
  if (!existsSync(join(dir, '.complete'))) {
    throw new Error(`no finished kstatus checker in ${dir}; ${SETUP_HINT}`);
  }
  return requireFile(join(dir, 'bin', 'kstatus'));
}

function requireFile(path: string): string {
  if (!existsSync(path)) throw new Error(`missing ${path}; ${SETUP_HINT}`);
  return path;
}

/** Runs the checker on the objects; one verdict per object, in the same order. */
export async function kstatusOf(
  objects: readonly object[],
  binary?: string,
): Promise<KstatusVerdict[]> {
  const bin = binary ?? (await kstatusBinary());
  const stdout = await runWithStdin(bin, JSON.stringify(objects));
  const verdicts = stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(parseVerdict);
  if (verdicts.length !== objects.length) {
    throw new Error(`${bin} printed ${verdicts.length} verdicts for ${objects.length} objects`);
  }
  return verdicts;
}

function parseVerdict(line: string): KstatusVerdict {
  const v = JSON.parse(line) as { name?: unknown; status?: unknown; message?: unknown };
  if (
    typeof v.name !== 'string' ||
    typeof v.message !== 'string' ||
    !KSTATUS_STATUSES.includes(v.status as KstatusStatus)
  ) {
    throw new Error(`the kstatus checker printed an unexpected line: ${line}`);
  }
  return { name: v.name, status: v.status as KstatusStatus, message: v.message };
}

function runWithStdin(bin: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${bin} exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}
