/**
 * The least a V2 server on Node can do per request, for cpu-per-row.ts --floor: node:http and
 * @grpc/grpc-js (the stacks the runtime is built on) with no framework, no model, no batcher,
 * no metrics, no logging. Each request is read and decoded as far as any V2 server must (the
 * JSON body parsed; the binary body's JSON header parsed and its tensor bytes located; the
 * gRPC message decoded by grpc-js) and its size checked; the answer is the model's golden
 * output for the request's row, encoded once at start. Its CPU per request is what Node's
 * HTTP or HTTP/2 stack and the kernel's loopback TCP cost before the runtime does anything.
 *
 *   node --import tsx bench/runtime/floor-server.ts --model heavy --name mlp-heavy \
 *     --port 8080 --grpc-port 8081
 *
 * Loopback only. Answers GET /v2/health/ready (for the bench's readiness check) and GET
 * /metrics (empty) besides POST /v2/models/<name>/infer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadInferencePackage } from '../../runtime/src/grpc/service-definition.js';
import { expectedRows, loadBenchModel, type BenchModel, type ModelKey } from '../lib/models.js';

const HOST = '127.0.0.1';

interface V2Input {
  readonly name?: string;
  readonly shape?: readonly number[];
  readonly data?: readonly number[];
}

/** The JSON answer for one row, as the runtime shapes it (the load client reads outputs[0].data). */
function jsonAnswer(model: BenchModel, name: string): Buffer {
  const data = expectedRows(model, 1);
  return Buffer.from(
    JSON.stringify({
      model_name: name,
      outputs: [{ name: 'output', datatype: 'FP32', shape: [1, data.length], data }],
    }),
  );
}

/** Reads a request's body; checks it holds one row of `width` floats; calls back with a verdict. */
function checkBody(req: IncomingMessage, width: number, done: (ok: boolean) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const headerLength = req.headers['inference-header-content-length'];
    if (headerLength === undefined) {
      const input = (JSON.parse(body.toString('utf8')) as { inputs: V2Input[] }).inputs[0];
      return done(input?.data?.length === width);
    }
    const at = Number(headerLength);
    const header = JSON.parse(body.toString('utf8', 0, at)) as { inputs: V2Input[] };
    const bytes = body.length - at;
    done(header.inputs[0]?.shape?.[1] === width && bytes === width * 4);
  });
}

function httpHandler(model: BenchModel, name: string) {
  const answer = jsonAnswer(model, name);
  const inferPath = `/v2/models/${name}/infer`;
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'POST' && req.url === inferPath) {
      checkBody(req, model.width, (ok) => {
        if (!ok) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('not one row of the model');
          return;
        }
        res
          .writeHead(200, {
            'content-type': 'application/json',
            'content-length': answer.length,
          })
          .end(answer);
      });
      return;
    }
    req.resume();
    const known = req.url === '/v2/health/ready' || req.url === '/metrics';
    res.writeHead(known ? 200 : 404, { 'content-type': 'text/plain' }).end(known ? '' : 'no');
  };
}

interface GrpcInferRequest {
  readonly raw_input_contents?: readonly Buffer[];
}

function grpcService(model: BenchModel, name: string): UntypedServiceImplementation {
  const outputs = Float32Array.from(expectedRows(model, 1));
  const answer = {
    model_name: name,
    outputs: [{ name: 'output', datatype: 'FP32', shape: [1, outputs.length] }],
    raw_output_contents: [Buffer.from(outputs.buffer)],
  };
  return {
    ModelInfer(call: ServerUnaryCall<GrpcInferRequest, object>, reply: sendUnaryData<object>) {
      const raw = call.request.raw_input_contents?.[0];
      if (raw?.length !== model.width * 4)
        return reply({ code: status.INVALID_ARGUMENT, details: 'not one row of the model' });
      reply(null, answer);
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'heavy' },
      name: { type: 'string' },
      port: { type: 'string' },
      'grpc-port': { type: 'string' },
    },
  });
  const model = await loadBenchModel(values.model as ModelKey);
  const name = values.name ?? model.name;
  const http = createServer({ keepAliveTimeout: 60_000 }, httpHandler(model, name));
  await new Promise<void>((resolve) => http.listen(Number(values.port), HOST, resolve));
  if (values['grpc-port'] !== undefined) {
    const pkg = loadPackageDefinition(loadInferencePackage()) as unknown as {
      inference: { GRPCInferenceService: { service: Parameters<Server['addService']>[0] } };
    };
    const grpc = new Server();
    grpc.addService(pkg.inference.GRPCInferenceService.service, grpcService(model, name));
    await new Promise<void>((resolve, reject) =>
      grpc.bindAsync(`${HOST}:${values['grpc-port']}`, ServerCredentials.createInsecure(), (err) =>
        err === null ? resolve() : reject(err),
      ),
    );
  }
  process.stdout.write(`floor server on ${HOST}:${values.port}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`floor-server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
