/**
 * The JSON part of a V2 body sent with the binary tensor data extension, with each binary
 * input's bytes added as `data_base64`: the inputs that name a `binary_data_size` take their
 * bytes from the binary part in order, as the protocol lays them out. A header that does not
 * add up (sizes past the end) is returned as it is; the request was refused for it anyway.
 */
export function withBinaryData(json: unknown, binary: Buffer): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const inputs = (json as Record<string, unknown>)['inputs'];
  if (!Array.isArray(inputs)) return json;
  let offset = 0;
  const withData: unknown[] = [];
  for (const input of inputs) {
    const size = binarySize(input);
    if (size === undefined) {
      withData.push(input);
      continue;
    }
    if (offset + size > binary.length) return json;
    const data = binary.subarray(offset, offset + size).toString('base64');
    offset += size;
    withData.push({ ...(input as Record<string, unknown>), data_base64: data });
  }
  return { ...json, inputs: withData };
}

function binarySize(input: unknown): number | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const parameters = (input as Record<string, unknown>)['parameters'];
  if (typeof parameters !== 'object' || parameters === null) return undefined;
  const size = (parameters as Record<string, unknown>)['binary_data_size'];
  return typeof size === 'number' && Number.isInteger(size) && size >= 0 ? size : undefined;
}
