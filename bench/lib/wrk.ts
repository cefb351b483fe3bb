import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'post.lua');

/** One load-generator run against one URL at one concurrency. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Socket errors, timeouts and non-2xx/3xx answers, added up. */
  readonly errors: number;
}

export interface LoadOptions {
  readonly url: string;
  /** Body to POST (JSON unless `contentType` says otherwise); GET when absent. */
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly seconds: number;
  /** wrk threads; one is plenty for these rates and leaves the most CPU to the server. */
  readonly threads?: number;
  /** Runs wrk on these CPUs only (taskset's list syntax), e.g. beside a pinned server. */
  readonly cpus?: string;
  /**
   * Every Nth request carries a sampled W3C traceparent with a new trace id (post.lua), so a
   * runtime that samples no root trace traces exactly 1/N of the requests.
   */
  readonly traceparentEvery?: number;
  /**
   * False: those traceparents say the caller did not sample (flags 00), so the runtime parses
   * them and traces nothing, while wrk does exactly the same work as when they say it did.
   */
  readonly traceparentSampled?: boolean;
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  connect_errors: number;
  read_errors: number;
  write_errors: number;
  status_errors: number;
  timeouts: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
}

let bodySeq = 0;

/** Drives `url` with Debian's wrk (a C load generator) for a fixed time; loopback only. */
async function runWrk(options: LoadOptions): Promise<LoadResult> {
  assertLoopback(options.url);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRK_BODY_FILE: '',
    WRK_CONTENT_TYPE: options.contentType ?? 'application/json',
    WRK_HEADERS: Object.entries(options.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
    WRK_TRACEPARENT_EVERY: String(options.traceparentEvery ?? 0),
    WRK_TRACEPARENT_FLAGS: options.traceparentSampled === false ? '00' : '01',
  };
  if (options.body !== undefined) {
    const file = join(tmpdir(), `md-bench-body-${process.pid}-${bodySeq++}.bin`);
    await writeFile(file, options.body);
    env.WRK_BODY_FILE = file;
  }
  const threads = Math.min(options.threads ?? 1, options.connections);
  const args = [
    `-t${threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    options.url,
  ];
  const [command, commandArgs] =
    options.cpus === undefined
      ? ['wrk', args]
      : ['taskset', ['--cpu-list', options.cpus, 'wrk', ...args]];
  const { stdout } = await run(command, commandArgs, {
    env,
    timeout: (options.seconds + 30) * 1000,
    maxBuffer: 1 << 20,
  }).finally(() => (env.WRK_BODY_FILE ? rm(env.WRK_BODY_FILE, { force: true }) : undefined));
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (line === undefined) throw new Error(`wrk printed no summary:\n${stdout}`);
  const s = JSON.parse(line.slice('WRK_JSON '.length)) as WrkSummary;
  const seconds = s.duration_us / 1e6;
  return {
    requests: s.requests,
    seconds,
    rps: s.requests / seconds,
    p50Ms: s.p50_us / 1000,
    p90Ms: s.p90_us / 1000,
    p99Ms: s.p99_us / 1000,
    maxMs: s.max_us / 1000,
    errors: s.connect_errors + s.read_errors + s.write_errors + s.status_errors + s.timeouts,
  };
}

/** wrk's version line, e.g. "wrk 4.1.0 [epoll] …". */
export async function wrkVersion(): Promise<string> {
  // wrk -v prints its version and exits 1.
  const out = await run('wrk', ['-v']).catch((err: { stdout?: string; stderr?: string }) => ({
    stdout: err.stdout ?? '',
    stderr: err.stderr ?? '',
  }));
  return (`${out.stdout}${out.stderr}`.split('\n')[0] ?? '').trim();
}

/** The benchmarks only ever send traffic to this machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`refusing to send benchmark traffic to ${host}: loopback only`);
  }
}

/** A short unrecorded warm-up at the same concurrency (JIT, connections), then the measured run. */
export async function measureCell(
  options: LoadOptions & {
    readonly warmupSeconds: number;
    /** Runs between the warm-up and the measured run, e.g. to read a process's CPU time. */
    readonly beforeMeasure?: () => Promise<void>;
  },
): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await runWrk({ ...options, seconds: options.warmupSeconds });
  await options.beforeMeasure?.();
  return runWrk(options);
}
