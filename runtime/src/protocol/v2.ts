import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import type { RuntimeState } from '../runtime-state.js';
import type { ServingContext } from '../serving-context.js';
import { BinaryBody, INFERENCE_HEADER_LENGTH } from './binary-body.js';
import { badRequest, HttpError } from '../errors.js';
import { markNonFiniteOutputs } from './non-finite-outputs.js';
import { checkModelName, JSON_TYPE } from './route-config.js';
import { checkEntryCount, parseBody, type RequestSchemas } from './request-schemas.js';
import { decodeTensorYielding } from '../tensor/tensor-decode.js';
import { decodeBinaryTensor, tensorBytes } from '../tensor/tensor-binary.js';
import { writeFlat } from '../tensor/tensor-json.js';

const SERVER_NAME = 'modeldeploy-runtime';

type ModelParams = { name: string; version?: string };

/** The Open Inference Protocol V2 (REST) as KServe, Triton and MLServer speak it. */
export function registerV2(app: FastifyInstance, state: RuntimeState, serverVersion: string): void {
  const serverMetadata = JSON.stringify({
    name: SERVER_NAME,
    version: serverVersion,
    extensions: ['binary_tensor_data'],
  });
  app.get('/v2', { config: { category: 'health' } }, async (_request, reply) =>
    reply.type(JSON_TYPE).send(serverMetadata),
  );
  app.get('/v2/health/live', { config: { category: 'health' } }, async (_request, reply) =>
    reply
      .code(state.live ? 200 : 503)
      .type(JSON_TYPE)
      .send(`{"live":${state.live}}`),
  );
  app.get('/v2/health/ready', { config: { category: 'health' } }, async (_request, reply) =>
    reply
      .code(state.ready ? 200 : 503)
      .type(JSON_TYPE)
      .send(`{"ready":${state.ready}}`),
  );
  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get<{ Params: ModelParams }>(
      base,
      { config: { category: 'metadata' } },
      async (request, reply) => {
        checkModelName(state, request.params.name, request.params.version);
        return reply.type(JSON_TYPE).send(modelMetadata(state, state.requireModel()));
      },
    );
    app.get<{ Params: ModelParams }>(
      `${base}/ready`,
      { config: { category: 'health' } },
      async (request, reply) => {
        checkModelName(state, request.params.name, request.params.version);
        const body = JSON.stringify({ name: state.modelName, ready: state.ready });
        return reply
          .code(state.ready ? 200 : 503)
          .type(JSON_TYPE)
          .send(body);
      },
    );
    app.post<{ Params: ModelParams }>(
      `${base}/infer`,
      { config: { category: 'inference' } },
      async (request, reply) => {
        checkModelName(state, request.params.name, request.params.version);
        return infer(state, state.requireServing(), request, reply);
      },
    );
  }
}

function modelMetadata(state: RuntimeState, ctx: ServingContext): string {
  const describe = (s: { name: string; datatype: { v2: string }; shape: readonly number[] }) => ({
    name: s.name,
    datatype: s.datatype.v2,
    shape: s.shape,
  });
  return JSON.stringify({
    name: state.modelName,
    versions: [state.modelVersion],
    platform: 'onnxruntime_onnx',
    inputs: ctx.model.signature.inputs.map(describe),
    outputs: ctx.model.signature.outputs.map(describe),
  });
}

type V2Request = RequestSchemas['v2'] extends z.ZodType<infer T> ? T : never;

async function infer(
  state: RuntimeState,
  ctx: ServingContext,
  incoming: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const raw = incoming.body;
  const decoding = incoming.trace.start('decode');
  const binary = raw instanceof BinaryBody ? raw.binary : undefined;
  const request = raw instanceof BinaryBody ? raw.json : raw;
  checkEntryCount(request, 'inputs', [...ctx.inputs.keys()]);
  checkEntryCount(request, 'outputs', [...ctx.outputs.keys()]);
  const body = parseBody(ctx.schemas.v2, request);
  const feeds = await decodeInputs(ctx, body, binary);
  decoding.end();
  const outputs = await ctx.infer(feeds, incoming.abandoned ?? undefined, incoming.trace.member);
  const encoding = incoming.trace.start('encode');
  markNonFiniteOutputs(reply, outputs, ctx.outputs);
  const wanted =
    body.outputs ?? [...ctx.outputs.keys()].map((name) => ({ name, parameters: undefined }));
  const allBinary = body.parameters?.binary_data_output === true;
  const parts: string[] = [];
  const buffers: Buffer[] = [];
  for (const requested of wanted) {
    const spec = ctx.outputs.get(requested.name);
    const t = outputs[requested.name];
    if (spec === undefined || t === undefined)
      throw new HttpError(500, `the model produced no output '${requested.name}'`);
    const head = `{"name":${JSON.stringify(requested.name)},"datatype":"${spec.datatype.v2}","shape":[${t.dims.join(',')}]`;
    const asBinary = (requested.parameters?.binary_data ?? allBinary) === true;
    if (asBinary) {
      const bytes = tensorBytes(t.data);
      buffers.push(bytes);
      parts.push(`${head},"parameters":{"binary_data_size":${bytes.length}}}`);
    } else {
      parts.push(`${head},"data":${writeFlat(t.data, spec.datatype.kind)}}`);
    }
  }
  const id = JSON.stringify(body.id ?? randomUUID());
  const json = `{"model_name":${JSON.stringify(state.modelName)},"model_version":${JSON.stringify(state.modelVersion)},"id":${id},"outputs":[${parts.join(',')}]}`;
  if (buffers.length === 0) {
    encoding.end();
    return reply.type(JSON_TYPE).send(json);
  }
  const header = Buffer.from(json, 'utf8');
  const binaryAnswer = Buffer.concat([header, ...buffers]);
  encoding.end();
  return reply
    .header(INFERENCE_HEADER_LENGTH, String(header.length))
    .type('application/octet-stream')
    .send(binaryAnswer);
}

/** JSON data, or bytes of the binary part for inputs that declare binary_data_size, in order. */
async function decodeInputs(
  ctx: ServingContext,
  body: V2Request,
  binary: Buffer | undefined,
): Promise<TensorMap> {
  const admission = ctx.admission();
  const feeds: Record<string, HostTensor> = {};
  let offset = 0;
  for (const input of body.inputs) {
    const spec = ctx.inputs.get(input.name);
    if (spec === undefined) throw badRequest(`unknown input '${input.name}'`);
    if (feeds[input.name] !== undefined) throw badRequest(`input '${input.name}' is given twice`);
    if (input.datatype !== spec.datatype.v2) {
      throw badRequest(
        `input '${input.name}': datatype ${input.datatype} does not match the model's ${spec.datatype.v2}`,
      );
    }
    const size = input.parameters?.binary_data_size;
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
        throw badRequest(`input '${input.name}': binary_data_size must be a byte count`);
      }
      if (binary === undefined || offset + size > binary.length) {
        throw badRequest(
          `input '${input.name}': binary_data_size ${size} goes past the ${binary?.length ?? 0} bytes of binary data ` +
            '(send the JSON length in Inference-Header-Content-Length)',
        );
      }
      feeds[input.name] = decodeBinaryTensor(
        binary.subarray(offset, offset + size),
        spec,
        input.shape,
        admission,
      );
      offset += size;
    } else {
      if (input.data === undefined)
        throw badRequest(`input '${input.name}': no data and no binary_data_size`);
      feeds[input.name] = await decodeTensorYielding(input.data, spec, input.shape, admission);
    }
  }
  if (binary !== undefined && offset !== binary.length) {
    throw badRequest(
      `the body has ${binary.length} bytes of binary data but the inputs declare ${offset}`,
    );
  }
  return feeds;
}
