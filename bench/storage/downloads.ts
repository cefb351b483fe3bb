import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../lib/models.js';

const run = promisify(execFile);
const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** The download child's report (bench/storage/download-child.ts). */
export interface ChildResult {
  readonly ms: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly idleRssBytes: number;
  readonly peakRssBytes: number;
}

export interface S3Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Downloads `url` into `file` with curl's SigV4 signing; the time it took, in ms. */
export async function curlDownload(url: string, keys: S3Keys, file: string): Promise<number> {
  const started = performance.now();
  // curl 7.88 does not send the payload hash S3 requires; a GET's payload is empty.
  await run('curl', [
    '-sS',
    '--fail',
    '-H',
    `x-amz-content-sha256: ${EMPTY_SHA256}`,
    '--aws-sigv4',
    'aws:amz:us-east-1:s3',
    '--user',
    `${keys.accessKeyId}:${keys.secretAccessKey}`,
    '-o',
    file,
    url,
  ]);
  return performance.now() - started;
}

/** Runs a download child `script` for bench/model.bin into `cacheDir` and returns its report. */
export async function childDownload(
  script: string,
  endpoint: string,
  keys: S3Keys,
  cacheDir: string,
): Promise<ChildResult> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', script, endpoint, 'bench', 'model.bin', cacheDir],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
}
