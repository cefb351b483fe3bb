import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HostTensor } from '../model/host-tensor.js';
import type { RuntimeState } from '../runtime-state.js';
import type { ServingContext } from '../serving-context.js';
import { badRequest, HttpError } from './http-error.js';
import { checkModelName, JSON_TYPE } from './route-config.js';
import { parseBody } from './request-schemas.js';
import { decodeTensor } from './tensor-decode.js';
import { writeFlat } from './tensor-json.js';

export const SERVER_NAME = 'modeldeploy-runtime';

type ModelParams = { name: string; version?: string };

/** The Open Inference Protocol V2 (REST) as KServe, Triton and MLServer speak it. */
export function registerV2(app: FastifyInstance, state: RuntimeState, serverVersion: string): void {
  const serverMetadata = JSON.stringify({
    name: SERVER_NAME,
    version: serverVersion,
    extensions: [],
  });
  app.get('/v2', { config: { category: 'health' } }, async (_request, reply) =>
    reply.type(JSON_TYPE).send(serverMetadata),
  );
  app.get('/v2/health/live', { config: { category: 'health' } }, async (_request, reply) =>
    reply.type(JSON_TYPE).send('{"live":true}'),
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
        return infer(state, state.requireServing(), request.body, reply);
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

async function infer(
  state: RuntimeState,
  ctx: ServingContext,
  raw: unknown,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const body = parseBody(ctx.schemas.v2, raw);
  const feeds: Record<string, HostTensor> = {};
  for (const input of body.inputs) {
    const spec = ctx.inputs.get(input.name);
    if (spec === undefined) throw badRequest(`unknown input '${input.name}'`);
    if (feeds[input.name] !== undefined) throw badRequest(`input '${input.name}' is given twice`);
    if (input.datatype !== spec.datatype.v2) {
      throw badRequest(
        `input '${input.name}': datatype ${input.datatype} does not match the model's ${spec.datatype.v2}`,
      );
    }
    feeds[input.name] = decodeTensor(input.data, spec, input.shape);
  }
  const outputs = await ctx.infer(feeds);
  const wanted = body.outputs?.map((o) => o.name) ?? [...ctx.outputs.keys()];
  const parts: string[] = [];
  for (const name of wanted) {
    const spec = ctx.outputs.get(name);
    const t = outputs[name];
    if (spec === undefined || t === undefined)
      throw new HttpError(500, `the model produced no output '${name}'`);
    parts.push(
      `{"name":${JSON.stringify(name)},"datatype":"${spec.datatype.v2}","shape":[${t.dims.join(',')}],"data":${writeFlat(t.data, spec.datatype.kind)}}`,
    );
  }
  const id = JSON.stringify(body.id ?? randomUUID());
  const json = `{"model_name":${JSON.stringify(state.modelName)},"model_version":${JSON.stringify(state.modelVersion)},"id":${id},"outputs":[${parts.join(',')}]}`;
  return reply.type(JSON_TYPE).send(json);
}
