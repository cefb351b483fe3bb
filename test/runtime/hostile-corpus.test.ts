import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, MODELS, ROOT, startRuntime } from './helpers.js';
import { hostileCorpus, type HostileCase } from './hostile/corpus.js';

const BODY_LIMIT = 1024 * 1024;

/** kB figures from /proc/<pid>/status: VmRSS now, VmHWM the peak since the last reset. */
function memoryKb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** One request on a fresh connection; a reset or other socket error rejects. */
function send(url: string, c: HostileCase): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${c.path}`,
      {
        method: 'POST',
        agent: false,
        headers: { ...c.headers, 'content-length': String(c.body.length) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

describe('the hostile-request corpus against the runtime process', () => {
  let child: ChildProcess;
  let url: string;
  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'runtime/src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        MODEL_URI: MODELS.tiny,
        MODEL_NAME: 'mlp-tiny',
        HOST: '127.0.0.1',
        PORT: '0',
        GRPC_ENABLED: 'false',
        INTRA_OP_THREADS: '1',
        BODY_LIMIT_BYTES: String(BODY_LIMIT),
        REQUEST_MAX_ROWS: '64',
        LOG_LEVEL: 'info',
        // afterAll sends SIGTERM and moves on: no reason to keep serving for the drain delay.
        SHUTDOWN_DELAY_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      let address = '';
      const timer = setTimeout(
        () => reject(new Error('the runtime did not get ready in 30 s')),
        30_000,
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        for (const line of buffer.split('\n').slice(0, -1)) {
          const match = /"address":"([^"]+)"/.exec(line);
          if (match !== null) address = match[1]!;
          if (line.includes('"msg":"model loaded, warmed up and checked: ready"')) {
            clearTimeout(timer);
            resolve(address);
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
    });
  });
  afterAll(() => {
    child.kill('SIGTERM');
  });

  it('answers 500+ hostile requests without a 5xx or a reset, each 4xx naming the problem, in bounded memory', async () => {
    const corpus = hostileCorpus();
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    const good = {
      what: 'good',
      path: '/predict',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ inputs: { input: [Array<number>(64).fill(0.5)] } })),
      names: /./,
    };
    for (let i = 0; i < 5; i++) expect((await send(url, good)).status).toBe(200);
    const idle = memoryKb(child.pid!);
    // Reset the peak (VmHWM) to the current RSS, so that the peak is the corpus's own.
    writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
    const failures: string[] = [];
    for (const [i, c] of corpus.entries()) {
      let res: { status: number; body: string };
      try {
        res = await send(url, c);
      } catch (err) {
        failures.push(`#${i} ${c.what}: ${(err as Error).message}`);
        continue;
      }
      if (res.status >= 500 || res.status < 400) {
        failures.push(`#${i} ${c.what}: ${res.status} ${res.body.slice(0, 160)}`);
        continue;
      }
      let error: unknown;
      try {
        error = (JSON.parse(res.body) as { error?: unknown }).error;
      } catch {
        error = undefined;
      }
      if (typeof error !== 'string' || !c.names.test(error))
        failures.push(
          `#${i} ${c.what}: ${res.status} error does not name ${c.names}: ${res.body.slice(0, 160)}`,
        );
    }
    expect(failures).toEqual([]);
    expect((await send(url, good)).status).toBe(200);
    const after = memoryKb(child.pid!);
    const boundKb = 2 * idle.rss + BODY_LIMIT / 1024;
    console.log(
      `hostile corpus: ${corpus.length} cases; idle RSS ${idle.rss} kB, peak ${after.peak} kB, bound ${boundKb} kB`,
    );
    expect(after.peak).toBeLessThan(boundKb);
  });
});

describe('hostile ids in batches (int64 embedding)', () => {
  it('answers every out-of-range id with a 400 naming the input and every other request with 200', async () => {
    const rt = await startRuntime(MODELS.int64, {
      MODEL_NAME: 'emb',
      BATCH_DISPATCH: 'delay',
      BATCH_MAX_DELAY_MS: '50',
    });
    try {
      const ids = [16, -17, 1000, 2 ** 40, -(2 ** 40), 255, 17, -100];
      const requests = Array.from({ length: 64 }, (_, i) =>
        i % 8 === 3 ? [0, ids[(i >> 3) % ids.length]!, 1, 2] : [i % 16, 1, 2, 3],
      );
      const answers = await Promise.all(
        requests.map((data) =>
          call(rt.server, 'POST', '/v2/models/emb/infer', {
            inputs: [{ name: 'ids', shape: [1, 4], datatype: 'INT64', data }],
          }),
        ),
      );
      answers.forEach((res, i) => {
        if (i % 8 === 3) {
          expect(res.status, res.text).toBe(400);
          expect(res.body.error).toMatch(/input 'ids'/);
        } else {
          expect(res.status, res.text).toBe(200);
        }
      });
    } finally {
      await rt.close();
    }
  });
});
