import type { FastifyInstance } from 'fastify';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';
import type { TensorSpec } from '../tensor/tensor-spec.js';
import type { RuntimeState } from '../runtime-state.js';
import type { ServingContext } from '../serving-context.js';
import { jsonOf } from './binary-body.js';
import { badRequest, HttpError } from '../errors.js';
import { markNonFiniteOutputs } from './non-finite-outputs.js';
import { checkModelName, JSON_TYPE } from './route-config.js';
import { parseBody } from './request-schemas.js';
import { decodeTensorYielding } from '../tensor/tensor-decode.js';
import { writeNested, writeRows } from '../tensor/tensor-json.js';

/**
 * KServe V1: POST /v1/models/<name>:predict {"instances": [...]} → {"predictions": [...]},
 * GET /v1/models/<name> → {"name", "ready"} (503 while not ready), GET /v1/models →
 * {"models": [<name>]}, and GET / → {"status": "alive"}, the liveness call of the kserve
 * SDK's V1 client. With one input an instance is one row of it; with several, an instance
 * is an object {"<input>": row}. With one output a prediction is one row of it; with
 * several, an object {"<output>": row}.
 */
export function registerV1(app: FastifyInstance, state: RuntimeState): void {
  app.get('/', { config: { category: 'health' } }, async (_request, reply) =>
    state.live
      ? reply.type(JSON_TYPE).send('{"status":"alive"}')
      : reply
          .code(503)
          .type(JSON_TYPE)
          .send(JSON.stringify({ status: 'failed', reason: state.notReadyReason() })),
  );
  // The model is listed from start-up on, as KServe lists a registered model before it is ready.
  app.get('/v1/models', { config: { category: 'metadata' } }, async (_request, reply) =>
    reply.type(JSON_TYPE).send(JSON.stringify({ models: [state.modelName] })),
  );
  app.get<{ Params: { name: string } }>(
    '/v1/models/:name',
    { config: { category: 'health' } },
    async (request, reply) => {
      checkModelName(state, request.params.name);
      const body = `{"name":${JSON.stringify(state.modelName)},"ready":${state.ready}}`;
      return reply
        .code(state.ready ? 200 : 503)
        .type(JSON_TYPE)
        .send(body);
    },
  );
  app.post<{ Params: { target: string } }>(
    '/v1/models/:target',
    { config: { category: 'inference', metricsRoute: '/v1/models/:name:predict' } },
    async (request, reply) => {
      const target = request.params.target;
      if (!target.endsWith(':predict')) {
        throw new HttpError(404, `unknown V1 verb in '${target}'; use /v1/models/<name>:predict`);
      }
      checkModelName(state, target.slice(0, -':predict'.length));
      const ctx = state.requireServing();
      const decoding = request.trace.start('decode');
      const body = parseBody(ctx.schemas.v1, jsonOf(request.body));
      const feeds = await instancesToFeeds(ctx, body.instances);
      decoding.end();
      const outputs = await ctx.infer(feeds, request.abandoned ?? undefined, request.trace.member);
      const encoding = request.trace.start('encode');
      markNonFiniteOutputs(reply, outputs, ctx.outputs);
      const answer = `{"predictions":${predictions(ctx, outputs)}}`;
      encoding.end();
      return reply.type(JSON_TYPE).send(answer);
    },
  );
}

async function instancesToFeeds(
  ctx: ServingContext,
  instances: readonly unknown[],
): Promise<TensorMap> {
  const admission = ctx.admission();
  const feeds: Record<string, HostTensor> = {};
  if (ctx.inputs.size === 1) {
    const spec = ctx.inputs.values().next().value as TensorSpec;
    feeds[spec.name] = await decodeTensorYielding(instances, spec, undefined, admission);
    return feeds;
  }
  if (instances.length > ctx.limits.maxRows) {
    throw new HttpError(
      413,
      `instances: ${instances.length} is more than REQUEST_MAX_ROWS=${ctx.limits.maxRows}; split the request`,
    );
  }
  for (const [name, spec] of ctx.inputs) {
    const column = instances.map((instance, i) => {
      if (typeof instance !== 'object' || instance === null || Array.isArray(instance)) {
        throw badRequest(
          `instances[${i}]: this model has several inputs; each instance must be an object of them`,
        );
      }
      const value = (instance as Record<string, unknown>)[name];
      if (value === undefined) throw badRequest(`instances[${i}]: missing input '${name}'`);
      return value;
    });
    feeds[name] = await decodeTensorYielding(column, spec, undefined, admission);
  }
  return feeds;
}

function predictions(ctx: ServingContext, outputs: TensorMap): string {
  if (ctx.outputs.size === 1) {
    const spec = ctx.outputs.values().next().value as TensorSpec;
    const t = outputs[spec.name] as HostTensor;
    return writeNested(t.data, t.dims, spec.datatype.kind);
  }
  const columns = [...ctx.outputs].map(([name, spec]) => {
    const t = outputs[name] as HostTensor;
    return { key: JSON.stringify(name), rows: writeRows(t.data, t.dims, spec.datatype.kind) };
  });
  const rows = columns[0]?.rows.length ?? 0;
  const items: string[] = [];
  for (let r = 0; r < rows; r++)
    items.push(`{${columns.map((c) => `${c.key}:${c.rows[r] ?? 'null'}`).join(',')}}`);
  return `[${items.join(',')}]`;
}
