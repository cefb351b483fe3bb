import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goldenFor, maxAbsDiff, MODELS, startRuntime, type TestRuntime } from './helpers.js';

const golden = goldenFor(MODELS.tiny)[0]!;
const input = golden.inputs[0]!.data as number[];
const expected = golden.outputs[0]!.data as number[];

/** A body as tritonclient builds it: JSON, then the tensors' bytes; no content type. */
function binaryRequest(json: unknown, ...tensors: ArrayBufferView[]) {
  const header = Buffer.from(JSON.stringify(json));
  const body = Buffer.concat([
    header,
    ...tensors.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength)),
  ]);
  return { header: header.length, body };
}

describe('V2 binary tensor data extension', () => {
  let rt: TestRuntime;
  let emb: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntime(MODELS.tiny, { MODEL_NAME: 'mlp-tiny' });
    emb = await startRuntime(MODELS.int64, { MODEL_NAME: 'emb' });
  });
  afterAll(async () => {
    await rt.close();
    await emb.close();
  });

  const send = (server: TestRuntime, url: string, body: Buffer, headers: Record<string, string>) =>
    server.server.app.inject({ method: 'POST', url, payload: body, headers });

  it('is announced in server metadata', async () => {
    const res = await rt.server.app.inject({ method: 'GET', url: '/v2' });
    expect(JSON.parse(res.body).extensions).toEqual(['binary_tensor_data']);
  });

  it('takes binary input and answers JSON, or binary when asked', async () => {
    const data = Float32Array.from(input);
    const json = {
      inputs: [
        {
          name: 'input',
          shape: [2, 64],
          datatype: 'FP32',
          parameters: { binary_data_size: data.byteLength },
        },
      ],
    };
    const plain = binaryRequest(json, data);
    const res = await send(rt, '/v2/models/mlp-tiny/infer', plain.body, {
      'inference-header-content-length': String(plain.header),
    });
    expect(res.statusCode).toBe(200);
    expect(maxAbsDiff(JSON.parse(res.body).outputs[0].data, expected)).toBeLessThan(1e-5);

    const wantBinary = binaryRequest({ ...json, parameters: { binary_data_output: true } }, data);
    const bin = await send(rt, '/v2/models/mlp-tiny/infer', wantBinary.body, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(wantBinary.header),
    });
    expect(bin.statusCode).toBe(200);
    expect(bin.headers['content-type']).toBe('application/octet-stream');
    const length = Number(bin.headers['inference-header-content-length']);
    const raw = bin.rawPayload;
    const head = JSON.parse(raw.subarray(0, length).toString());
    expect(head.outputs[0]).toEqual({
      name: 'output',
      datatype: 'FP32',
      shape: [2, 10],
      parameters: { binary_data_size: 80 },
    });
    const bytes = raw.subarray(length);
    expect(bytes.length).toBe(80);
    const out = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    expect(maxAbsDiff(Array.from(out), expected)).toBeLessThan(1e-5);
    expect(head.model_name).toBe('mlp-tiny');
  });

  it('binary INT64 input, and binary_data per output', async () => {
    const ids = BigInt64Array.from([0n, 1n, 2n, 3n, 15n, 14n, 13n, 12n]);
    const req = binaryRequest(
      {
        inputs: [
          {
            name: 'ids',
            shape: [2, 4],
            datatype: 'INT64',
            parameters: { binary_data_size: ids.byteLength },
          },
        ],
        outputs: [
          { name: 'ids_sum', parameters: { binary_data: true } },
          { name: 'embedding_sum' },
        ],
      },
      ids,
    );
    const res = await send(emb, '/v2/models/emb/infer', req.body, {
      'inference-header-content-length': String(req.header),
    });
    expect(res.statusCode).toBe(200);
    const length = Number(res.headers['inference-header-content-length']);
    const head = JSON.parse(res.rawPayload.subarray(0, length).toString());
    expect(head.outputs[0]).toMatchObject({
      name: 'ids_sum',
      parameters: { binary_data_size: 16 },
    });
    expect(head.outputs[1].data).toHaveLength(4);
    const bytes = res.rawPayload.subarray(length);
    const sums = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 16));
    expect(Array.from(sums)).toEqual([6n, 54n]);
  });

  it('reads a body without content type as JSON (tritonclient without binary inputs)', async () => {
    const body = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'input', shape: [2, 64], datatype: 'FP32', data: input }],
      }),
    );
    const res = await send(rt, '/v2/models/mlp-tiny/infer', body, {});
    expect(res.statusCode).toBe(200);
    expect(maxAbsDiff(JSON.parse(res.body).outputs[0].data, expected)).toBeLessThan(1e-5);
  });

  it('rejects binary data that does not match what the JSON declares', async () => {
    const data = Float32Array.from(input.slice(0, 64));
    const decl = (size: number) => ({
      inputs: [
        { name: 'input', shape: [1, 64], datatype: 'FP32', parameters: { binary_data_size: size } },
      ],
    });
    const cases: [Buffer, string, RegExp][] = [];
    let r = binaryRequest(decl(100), data);
    cases.push([r.body, String(r.header), /goes past|binary_data_size is 100 bytes/]);
    r = binaryRequest(decl(256), data, Float32Array.from([1]));
    cases.push([
      r.body,
      String(r.header),
      /has 260 bytes of binary data but the inputs declare 256/,
    ]);
    r = binaryRequest(decl(256), data);
    cases.push([r.body, String(r.body.length + 5), /does not fit a body/]);
    const nan = Float32Array.from(data);
    nan[3] = NaN;
    r = binaryRequest(decl(256), nan);
    cases.push([r.body, String(r.header), /element 3 .* is NaN, expected a finite number/]);
    r = binaryRequest({ inputs: [{ name: 'input', shape: [1, 64], datatype: 'FP32' }] });
    cases.push([r.body, String(r.header), /no data and no binary_data_size/]);
    for (const [body, length, message] of cases) {
      const res = await send(rt, '/v2/models/mlp-tiny/infer', body, {
        'inference-header-content-length': length,
      });
      expect(res.statusCode, String(message)).toBe(400);
      expect(JSON.parse(res.body).error).toMatch(message);
    }
    const wrongSize = binaryRequest(decl(252), data.subarray(1));
    const res = await send(rt, '/v2/models/mlp-tiny/infer', wrongSize.body, {
      'inference-header-content-length': String(wrongSize.header),
    });
    expect(JSON.parse(res.body).error).toBe(
      "input 'input': binary_data_size is 252 bytes; shape [1,64] of FP32 needs 256",
    );
  });

  it('refuses binary data on /predict', async () => {
    const r = binaryRequest({ inputs: { input: [input.slice(0, 64)] } }, Float32Array.from([1]));
    const res = await send(rt, '/predict', r.body, {
      'inference-header-content-length': String(r.header),
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/only accepted on the V2 infer routes/);
  });
});
