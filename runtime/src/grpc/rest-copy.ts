import { INFERENCE_HEADER_LENGTH } from '../protocol/binary-body.js';
import type { InferTensorContents, ModelInferRequest } from './messages.js';

/** A ModelInferRequest as the V2 REST request that asks a runtime the same question. */
export interface RestCopy {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * raw_input_contents become the V2 binary extension's tensor data, byte for byte (so NaN
 * and every float bit arrive as sent); typed contents become JSON `data`. The requested
 * outputs are asked for by name. Request parameters are not carried: the runtime reads none
 * of them over gRPC.
 */
export function restCopyOf(request: ModelInferRequest): RestCopy {
  const raw = request.raw_input_contents;
  const outputs = request.outputs.map((o) => ({ name: o.name }));
  const inputs = request.inputs.map((input, index) => {
    const head = { name: input.name, datatype: input.datatype, shape: [...input.shape] };
    const bytes = raw[index];
    return bytes !== undefined
      ? { ...head, parameters: { binary_data_size: bytes.length } }
      : { ...head, data: typedElements(input.contents) };
  });
  const json = Buffer.from(
    JSON.stringify({
      ...(request.id !== '' && { id: request.id }),
      inputs,
      ...(outputs.length > 0 && { outputs }),
    }),
  );
  if (raw.length === 0) return { headers: { 'content-type': 'application/json' }, body: json };
  return {
    headers: {
      'content-type': 'application/octet-stream',
      [INFERENCE_HEADER_LENGTH]: String(json.length),
    },
    body: Buffer.concat([json, ...raw]),
  };
}

/** The one populated contents field (the gRPC route refused any other request). */
function typedElements(contents: InferTensorContents | null): unknown[] {
  if (contents === null) return [];
  for (const values of Object.values(contents) as unknown[]) {
    if (Array.isArray(values) && values.length > 0) return values as unknown[];
  }
  return [];
}
