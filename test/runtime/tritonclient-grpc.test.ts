import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcRuntime, type GrpcTestRuntime } from './grpc-client.js';
import { call, goldenFor, maxAbsDiff, MODELS } from './helpers.js';
import { runPythonJson } from './python-venv.js';

interface Outcome<T = unknown> {
  readonly ok?: T;
  readonly status?: string;
  readonly message?: string;
}

interface Report {
  readonly live: Outcome<boolean>;
  readonly ready: Outcome<boolean>;
  readonly model_ready: Outcome<boolean>;
  readonly server_metadata: Outcome<Record<string, unknown>>;
  readonly model_metadata: Outcome<Record<string, unknown>>;
  readonly infer: Outcome<{ id: string; model_name: string; shape: number[]; output: number[] }>;
  readonly infer_bearer: Outcome<number[]>;
  readonly no_credentials: Outcome;
  readonly wrong_key: Outcome;
  readonly unknown_model: Outcome;
  readonly wrong_datatype: Outcome;
}

const API_KEY = 'triton-key-1';

describe('tritonclient[grpc] (PyPI) against the runtime', () => {
  let rt: GrpcTestRuntime;
  let report: Report;
  beforeAll(async () => {
    rt = await startGrpcRuntime(MODELS.heavy, { MODEL_NAME: 'mlp-heavy', API_KEYS: API_KEY });
    report = (await runPythonJson('triton_grpc_client.py', [
      rt.grpcAddress,
      'mlp-heavy',
      MODELS.heavy.replace(/\.onnx$/, '.golden.json'),
      API_KEY,
    ])) as Report;
  }, 90_000);
  afterAll(() => rt.close());

  it('reads health and metadata', () => {
    expect(report.live).toEqual({ ok: true });
    expect(report.ready).toEqual({ ok: true });
    expect(report.model_ready).toEqual({ ok: true });
    expect(report.server_metadata.ok?.['name']).toBe('modeldeploy-runtime');
    expect(report.model_metadata.ok).toMatchObject({
      name: 'mlp-heavy',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '512'] }],
    });
  });

  it('infers the golden answer of the heavy FP32 model with raw tensors', () => {
    const golden = goldenFor(MODELS.heavy)[0]!;
    const expected = (golden.outputs[0]!.data as unknown[]).flat(Infinity) as number[];
    expect(report.infer.ok?.id).toBe('py-1');
    expect(report.infer.ok?.model_name).toBe('mlp-heavy');
    expect(report.infer.ok?.shape).toEqual([2, expected.length / 2]);
    expect(maxAbsDiff(report.infer.ok?.output ?? [], expected)).toBeLessThanOrEqual(
      golden.tolerance ?? 1e-4,
    );
    expect(report.infer_bearer.ok).toEqual([2, expected.length / 2]);
  });

  it('sees the status codes and the messages of the REST routes', async () => {
    const rest = await call(rt.server, 'POST', '/v2/models/mlp-heavy/infer', {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 512], data: [] }],
    });
    expect(report.no_credentials).toEqual({
      status: 'StatusCode.UNAUTHENTICATED',
      message: rest.body['error'],
    });
    expect(report.wrong_key).toEqual({
      status: 'StatusCode.UNAUTHENTICATED',
      message: 'unauthorized: invalid API key',
    });
    expect(report.unknown_model).toEqual({
      status: 'StatusCode.NOT_FOUND',
      message: "model 'resnet' not found; this server serves 'mlp-heavy'",
    });
    expect(report.wrong_datatype).toEqual({
      status: 'StatusCode.INVALID_ARGUMENT',
      message: "input 'input': datatype FP64 does not match the model's FP32",
    });
  });
});
