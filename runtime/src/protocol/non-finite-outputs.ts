import type { FastifyReply } from 'fastify';
import type { TensorData } from '../tensor/datatypes.js';
import type { TensorMap } from '../tensor/host-tensor.js';
import type { TensorSpec } from '../tensor/tensor-spec.js';

/**
 * Response header listing the outputs that hold NaN or ±Infinity, as `name=count` pairs.
 * JSON has no literal for them, so JSON data carries them as null (as JSON.stringify,
 * Python's orjson and KServe do); this header is how a client tells a null that stands for
 * a non-finite value from a bug. Binary outputs (binary_data_output) carry the exact values.
 */
export const NON_FINITE_HEADER = 'x-non-finite-outputs';

/** Sets NON_FINITE_HEADER when any float output has a non-finite element. */
export function markNonFiniteOutputs(
  reply: FastifyReply,
  outputs: TensorMap,
  specs: ReadonlyMap<string, TensorSpec>,
): void {
  const found = nonFiniteOutputs(outputs, specs);
  if (found.length > 0) {
    reply.header(NON_FINITE_HEADER, found.join(','));
    reply.log.warn({ nonFinite: found }, 'the model produced non-finite outputs; sent as null');
  }
}

/** `name=count` for each float output holding NaN or ±Infinity (NON_FINITE_HEADER's items). */
export function nonFiniteOutputs(
  outputs: TensorMap,
  specs: ReadonlyMap<string, TensorSpec>,
): string[] {
  const found: string[] = [];
  for (const [name, spec] of specs) {
    const tensor = outputs[name];
    if (tensor === undefined || spec.datatype.kind !== 'float') continue;
    const count = countNonFinite(tensor.data);
    if (count > 0) found.push(`${name}=${count}`);
  }
  return found;
}

function countNonFinite(data: TensorData): number {
  const values = data as Float32Array;
  let count = 0;
  // v - v is NaN for NaN and ±Infinity and 0 for every finite value.
  for (let i = 0; i < values.length; i++)
    if ((values[i] as number) - (values[i] as number) !== 0) count++;
  return count;
}
