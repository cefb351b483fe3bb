/**
 * One s3:// download with the runtime's own code (openRemote + fetchRemoteModel), in its own
 * process so its memory is its own: prints {ms, bytes, idleRssBytes, peakRssBytes} as JSON.
 * Run by bench/storage/run.ts; AWS keys come from the environment, as in a pod.
 *
 *   node --import tsx bench/storage/download-child.ts <endpoint> <bucket> <key> <cacheDir>
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fetchRemoteModel } from '../../runtime/src/model/storage/fetch-remote.js';
import { openRemote } from '../../runtime/src/model/storage/open-remote.js';
import { sleep } from '../../runtime/src/model/storage/retry.js';
import { storageSettings } from '../../runtime/src/model/storage/storage-settings.js';

const [endpoint, bucket, key, cacheDir] = process.argv.slice(2);
if (!endpoint || !bucket || !key || !cacheDir) {
  throw new Error('usage: download-child.ts <endpoint> <bucket> <key> <cacheDir>');
}
const settings = storageSettings({ MODEL_S3_ENDPOINT: endpoint, MODEL_S3_FORCE_PATH_STYLE: true });
const object = await openRemote({ kind: 's3', bucket, key }, settings);
/**
 * The process's resident high-water mark. Not process.resourceUsage().maxRSS: Linux keeps
 * ru_maxrss across fork and exec, so a child of a big parent would report the parent's peak.
 */
function highWaterMarkBytes(): number {
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (kib === undefined) throw new Error('no VmHWM in /proc/self/status');
  return Number(kib) * 1024;
}

const idleRssBytes = highWaterMarkBytes();
const started = performance.now();
const result = await fetchRemoteModel(object, {
  cacheDir,
  expectedSha256: undefined,
  timeoutMs: 600_000,
  maxBytes: 2 ** 40,
  limitName: 'MODEL_MAX_BYTES',
  retry: { retries: 0, baseDelayMs: 500, maxDelayMs: 30_000, sleep },
});
const ms = performance.now() - started;
const peakRssBytes = highWaterMarkBytes();
process.stdout.write(
  `${JSON.stringify({ ms, bytes: result.bytes, sha256: result.sha256, idleRssBytes, peakRssBytes })}\n`,
);
