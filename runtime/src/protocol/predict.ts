import type { FastifyInstance } from 'fastify';
import type { HostTensor } from '../tensor/host-tensor.js';
import type { RuntimeState } from '../runtime-state.js';
import { jsonOf } from './binary-body.js';
import { markNonFiniteOutputs } from './non-finite-outputs.js';
import { JSON_TYPE } from './route-config.js';
import { checkEntryCount, parseBody } from './request-schemas.js';
import { decodeTensorYielding } from '../tensor/tensor-decode.js';
import { writeNested } from '../tensor/tensor-json.js';

/**
 * POST /predict: {"inputs": {"<input>": [[...]]}, "outputs"?: ["<output>"]}
 * → {"model_name", "model_version", "outputs": {"<output>": [[...]]}}
 */
export function registerPredict(app: FastifyInstance, state: RuntimeState): void {
  const prefix = `{"model_name":${JSON.stringify(state.modelName)},"model_version":${JSON.stringify(state.modelVersion)},"outputs":{`;
  app.post('/predict', { config: { category: 'inference' } }, async (request, reply) => {
    const ctx = state.requireServing();
    const decoding = request.trace.start('decode');
    const json = jsonOf(request.body);
    checkEntryCount(json, 'inputs', [...ctx.inputs.keys()]);
    checkEntryCount(json, 'outputs', [...ctx.outputs.keys()]);
    const body = parseBody(ctx.schemas.predict, json);
    const admission = ctx.admission();
    const feeds: Record<string, HostTensor> = {};
    for (const [name, spec] of ctx.inputs)
      feeds[name] = await decodeTensorYielding(body.inputs[name], spec, undefined, admission);
    decoding.end();
    const outputs = await ctx.infer(feeds, request.abandoned ?? undefined, request.trace.member);
    const encoding = request.trace.start('encode');
    markNonFiniteOutputs(reply, outputs, ctx.outputs);
    let answer = prefix;
    let first = true;
    for (const [name, spec] of ctx.outputs) {
      if (body.outputs !== undefined && !body.outputs.includes(name)) continue;
      const t = outputs[name] as HostTensor;
      answer += `${first ? '' : ','}${JSON.stringify(name)}:${writeNested(t.data, t.dims, spec.datatype.kind)}`;
      first = false;
    }
    encoding.end();
    return reply.type(JSON_TYPE).send(`${answer}}}`);
  });
}
