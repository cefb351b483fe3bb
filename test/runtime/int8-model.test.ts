import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../runtime/src/model/load-model.js';
import { fp32Bytes, fp32FromBytes, startGrpcRuntime, type GrpcTestRuntime } from './grpc-client.js';
import { call, goldenFor, maxAbsDiff, MODELS, ROOT, testConfig } from './helpers.js';

const INT8 = `${ROOT}examples/models/mlp-heavy-int8.onnx`;
const int8Golden = goldenFor(INT8);
const fp32Golden = goldenFor(MODELS.heavy);
const flat = (data: unknown): number[] => (data as unknown[]).flat(Infinity) as number[];

describe('the INT8 heavy model (onnxruntime dynamic quantisation)', () => {
  let rt: GrpcTestRuntime;
  beforeAll(async () => {
    // Serving it with its golden file: the load checks the FP32 answers at its tolerance.
    rt = await startGrpcRuntime(INT8, {
      MODEL_NAME: 'mlp-heavy',
      MODEL_VERSION: 'int8',
      GOLDEN_REQUESTS: readFileSync(INT8.replace(/\.onnx$/, '.golden.json'), 'utf8'),
    });
  });
  afterAll(() => rt.close());

  it('is a different model from the FP32 one, with the same inputs and outputs', async () => {
    expect(readFileSync(INT8).equals(readFileSync(MODELS.heavy))).toBe(false);
    const metadata = await call(rt.server, 'GET', '/v2/models/mlp-heavy');
    expect(metadata.body['inputs']).toEqual([
      { name: 'input', datatype: 'FP32', shape: [-1, 512] },
    ]);
    expect(metadata.body['outputs']).toEqual([
      { name: 'output', datatype: 'FP32', shape: [-1, 10] },
    ]);
  });

  it('answers the FP32 golden request within the tolerance its golden file states, on REST and gRPC', async () => {
    const golden = int8Golden[0]!;
    const input = golden.inputs[0]!;
    const expected = flat(golden.outputs[0]!.data);
    // Its expectations are the FP32 model's answers, not its own.
    expect(expected).toEqual(flat(fp32Golden[0]!.outputs[0]!.data));
    expect(golden.tolerance).toBeGreaterThan(fp32Golden[0]!.tolerance!);
    const rest = await call(rt.server, 'POST', '/v2/models/mlp-heavy/infer', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: input.shape, data: input.data }],
    });
    expect(rest.status).toBe(200);
    const restOutput = flat((rest.body['outputs'] as { data: unknown }[])[0]!.data);
    const grpc = await rt.grpc.call('ModelInfer', {
      model_name: 'mlp-heavy',
      inputs: [{ name: 'input', datatype: 'FP32', shape: input.shape }],
      raw_input_contents: [fp32Bytes(flat(input.data))],
    });
    const grpcOutput = fp32FromBytes((grpc['raw_output_contents'] as Buffer[])[0]!);
    for (const output of [restOutput, grpcOutput]) {
      const deviation = maxAbsDiff(output, expected);
      expect(deviation).toBeLessThanOrEqual(golden.tolerance!);
      // Quantised: it does not reproduce FP32 to FP32's own tolerance.
      expect(deviation).toBeGreaterThan(fp32Golden[0]!.tolerance!);
    }
    // The class each row would be given is the FP32 model's.
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    expect([argmax(restOutput.slice(0, 10)), argmax(restOutput.slice(10))]).toEqual([
      argmax(expected.slice(0, 10)),
      argmax(expected.slice(10)),
    ]);
  });

  it('is refused at load by the FP32 golden request at FP32 tolerance: the check that catches a bad quantisation', async () => {
    const config = testConfig(INT8, {
      MODEL_NAME: 'mlp-heavy',
      GOLDEN_REQUESTS: readFileSync(MODELS.heavy.replace(/\.onnx$/, '.golden.json'), 'utf8'),
    });
    await expect(loadModel(config)).rejects.toThrow(/mlp-heavy-sin-ramp/);
  });
});
