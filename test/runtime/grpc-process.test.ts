import { describe, expect, it } from 'vitest';
import { fp32Bytes, fp32FromBytes, grpcClient } from './grpc-client.js';
import { goldenFor, maxAbsDiff, metricValue, MODELS, waitUntil } from './helpers.js';
import { spawnRuntime, urlFrom } from './spawn-runtime.js';

const golden = goldenFor(MODELS.tiny)[0]!;
const flat = (data: unknown): number[] => (data as unknown[]).flat(Infinity) as number[];

describe('the runtime process serving gRPC', () => {
  it('listens on GRPC_PORT, and on SIGTERM answers the call in flight, then exits 0', async () => {
    const rt = spawnRuntime({
      MODEL_URI: MODELS.tiny,
      MODEL_NAME: 'mlp-tiny',
      // The call waits in the batcher until SIGTERM flushes it.
      BATCH_DISPATCH: 'delay',
      BATCH_MAX_SIZE: '64',
      BATCH_MAX_DELAY_MS: '60000',
      REQUEST_TIMEOUT_MS: '30000',
      SHUTDOWN_DELAY_MS: '0',
    });
    const listening = await rt.waitFor(/"msg":"listening; loading model"/);
    const { grpcPort } = JSON.parse(listening) as { grpcPort?: number };
    expect(grpcPort).toBeGreaterThan(0);
    const url = urlFrom(listening);
    await rt.waitFor(/ready"/);
    const client = grpcClient(`127.0.0.1:${grpcPort}`);
    try {
      expect(await client.call('ServerReady')).toEqual({ ready: true });
      const inFlight = client.call('ModelInfer', {
        model_name: 'mlp-tiny',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 64] }],
        raw_input_contents: [fp32Bytes(flat(golden.inputs[0]!.data))],
      });
      await waitUntil(
        async () =>
          metricValue(await (await fetch(`${url}/metrics`)).text(), 'modeldeploy_queue_depth') ===
          1,
      );
      rt.child.kill('SIGTERM');
      const answer = await inFlight;
      const output = fp32FromBytes((answer['raw_output_contents'] as Buffer[])[0]!);
      expect(maxAbsDiff(output, flat(golden.outputs[0]!.data))).toBeLessThanOrEqual(
        golden.tolerance!,
      );
      expect(await rt.exited).toBe(0);
    } finally {
      client.close();
      if (rt.child.exitCode === null) rt.child.kill('SIGKILL');
    }
  });

  it('does not listen for gRPC with GRPC_ENABLED=false', async () => {
    const rt = spawnRuntime({ MODEL_URI: MODELS.tiny, GRPC_ENABLED: 'false' });
    try {
      const listening = JSON.parse(await rt.waitFor(/"msg":"listening; loading model"/)) as Record<
        string,
        unknown
      >;
      expect(listening).not.toHaveProperty('grpcPort');
    } finally {
      rt.child.kill('SIGKILL');
      await rt.exited;
    }
  });
});
