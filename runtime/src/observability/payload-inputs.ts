/**
 * The inputs of a request body by input name, whatever the protocol: V2's list of named
 * tensors, /predict's object, V1's instances (one input, or objects of several). Redaction
 * works on this form, so a named input is found the same way in all three.
 */
export type InputsByName = Record<string, unknown>;

export type InferenceProtocol = 'v2' | 'predict' | 'v1';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** undefined when the body does not have the protocol's shape (it was refused, too). */
export function inputsByName(
  protocol: InferenceProtocol,
  body: unknown,
  modelInputs: readonly string[],
): InputsByName | undefined {
  if (!isObject(body)) return undefined;
  switch (protocol) {
    case 'v2':
      return v2Inputs(body['inputs']);
    case 'predict':
      return isObject(body['inputs']) ? { ...body['inputs'] } : undefined;
    case 'v1':
      return v1Inputs(body['instances'], modelInputs);
  }
}

function v2Inputs(inputs: unknown): InputsByName | undefined {
  if (!Array.isArray(inputs)) return undefined;
  const out: InputsByName = {};
  for (const input of inputs) {
    if (!isObject(input) || typeof input['name'] !== 'string') return undefined;
    const { name, ...tensor } = input;
    out[name] = tensor;
  }
  return out;
}

function v1Inputs(instances: unknown, modelInputs: readonly string[]): InputsByName | undefined {
  if (!Array.isArray(instances)) return undefined;
  if (modelInputs.length === 1) return { [modelInputs[0] as string]: instances };
  const columns: InputsByName = {};
  for (const instance of instances) {
    if (!isObject(instance)) return undefined;
    for (const [name, value] of Object.entries(instance)) {
      const column = (columns[name] ??= []) as unknown[];
      column.push(value);
    }
  }
  return columns;
}
