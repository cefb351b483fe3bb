/**
 * A closed-loop load generator for the CPU-per-row benchmark (cpu-per-row.ts), run as its own
 * process so its CPU is not counted as the server's: `connections` concurrent requests, each
 * sent again as soon as it is answered, for `seconds`, to loopback only. Speaks V2 JSON, V2
 * binary (node:http keep-alive) and V2 gRPC (@grpc/grpc-js, one HTTP/2 connection).
 *
 *   node --import tsx bench/runtime/load-client.ts --protocol grpc --target 127.0.0.1:8081 \
 *     --model heavy --rows 1 --connections 64 --warmup 2 --seconds 10
 *
 * Prints one line "LOAD_JSON {...}": requests answered 200/OK, failures, seconds, and the
 * latency of the answered ones (p50, p99 in ms, nearest rank).
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { credentials, loadPackageDefinition, Metadata, type Client } from '@grpc/grpc-js';
import { loadInferencePackage } from '../../runtime/src/grpc/service-definition.js';
import {
  expectedRows,
  goldenRows,
  loadBenchModel,
  v2BinaryBody,
  v2Body,
  type ModelKey,
} from '../lib/models.js';
import { percentile } from '../lib/percentile.js';
import { assertLoopback } from '../lib/wrk.js';

export interface LoadCount {
  readonly answered: number;
  readonly failed: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** An answer's first output: raw bytes (what we and Triton send) or typed FP32 contents. */
interface GrpcAnswer {
  raw_output_contents?: Buffer[];
  outputs?: { contents?: { fp32_contents?: number[] } | null }[];
}

function firstGrpcOutput(answer: GrpcAnswer | undefined): number[] | undefined {
  const raw = answer?.raw_output_contents?.[0];
  if (raw !== undefined) {
    const copy = Buffer.from(raw);
    return Array.from(new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4));
  }
  return answer?.outputs?.[0]?.contents?.fp32_contents;
}

/** Sends one request; resolves with its answer's first output (row-major) or undefined on failure. */
type Send = () => Promise<number[] | undefined>;

function httpSender(
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  agent: Agent,
): Send {
  return () =>
    new Promise((resolve) => {
      const req = request(url, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve(undefined);
          const answer = JSON.parse(Buffer.concat(chunks).toString()) as {
            outputs: { data: number[] }[];
          };
          resolve(answer.outputs[0]?.data);
        });
      });
      req.on('error', () => resolve(undefined));
      req.end(body);
    });
}

function grpcSender(target: string, message: object): Send {
  const pkg = loadPackageDefinition(loadInferencePackage()) as unknown as {
    inference: {
      GRPCInferenceService: new (
        a: string,
        c: unknown,
      ) => Client &
        Record<
          string,
          (r: object, m: Metadata, cb: (e: Error | null, a?: GrpcAnswer) => void) => void
        >;
    };
  };
  const client = new pkg.inference.GRPCInferenceService(target, credentials.createInsecure());
  const infer = client['ModelInfer'];
  if (infer === undefined) throw new Error('no ModelInfer method');
  return () =>
    new Promise((resolve) => {
      infer.call(client, message, new Metadata(), (err, answer) => {
        resolve(err === null ? firstGrpcOutput(answer) : undefined);
      });
    });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      protocol: { type: 'string', default: 'json' },
      target: { type: 'string' },
      model: { type: 'string', default: 'tiny' },
      name: { type: 'string' },
      rows: { type: 'string', default: '1' },
      tolerance: { type: 'string' },
      connections: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
    },
  });
  const model = await loadBenchModel(values.model as ModelKey);
  const name = values.name ?? model.name;
  const rows = Number(values.rows);
  const target = values.target ?? '';
  let send: Send;
  if (values.protocol === 'grpc') {
    assertLoopback(`http://${target}/`);
    const raw = Buffer.from(Float32Array.from(goldenRows(model, rows)).buffer);
    send = grpcSender(target, {
      model_name: name,
      inputs: [{ name: model.inputName, datatype: 'FP32', shape: [rows, model.width] }],
      raw_input_contents: [raw],
    });
  } else {
    const url = `http://${target}/v2/models/${name}/infer`;
    assertLoopback(url);
    const agent = new Agent({ keepAlive: true, maxSockets: Number(values.connections) });
    if (values.protocol === 'binary') {
      const { body, headerLength } = v2BinaryBody(model, rows);
      send = httpSender(
        url,
        Buffer.from(body),
        {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(headerLength),
        },
        agent,
      );
    } else {
      send = httpSender(
        url,
        Buffer.from(v2Body(model, rows)),
        { 'content-type': 'application/json' },
        agent,
      );
    }
  }
  // Answers are checked before anything is measured.
  const first = await send();
  const expected = expectedRows(model, rows);
  const tolerance = Number(values.tolerance ?? model.tolerance);
  if (first === undefined || first.length !== expected.length)
    throw new Error(`the first ${values.protocol} request failed or has the wrong shape`);
  const deviation = Math.max(...first.map((v, i) => Math.abs(v - (expected[i] as number))));
  if (!(deviation <= tolerance))
    throw new Error(`${values.protocol} answer is off by ${deviation} (tolerance ${tolerance})`);
  let answered = 0;
  let failed = 0;
  let latenciesMs: number[] = [];
  const loop = async (end: number): Promise<void> => {
    while (performance.now() < end) {
      const sent = performance.now();
      if ((await send()) !== undefined) {
        answered++;
        latenciesMs.push(performance.now() - sent);
      } else failed++;
    }
  };
  const connections = Array.from({ length: Number(values.connections) });
  // Untimed: the server's JIT and the batch sizes settle before anything is counted.
  const warm = performance.now() + Number(values.warmup) * 1000;
  await Promise.all(connections.map(() => loop(warm)));
  answered = 0;
  failed = 0;
  latenciesMs = [];
  process.stdout.write('LOAD_START\n');
  const started = performance.now();
  await Promise.all(connections.map(() => loop(started + Number(values.seconds) * 1000)));
  const seconds = (performance.now() - started) / 1000;
  const sorted = latenciesMs.sort((a, b) => a - b);
  const result: LoadCount = {
    answered,
    failed,
    seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
  process.stdout.write(`LOAD_JSON ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`load-client: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
