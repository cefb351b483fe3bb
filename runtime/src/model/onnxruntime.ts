import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;

let loaded: Ort | undefined;

/**
 * Imports onnxruntime-node on first use. Unless telemetry was opted into
 * (ORT_TELEMETRY=on), ORT_DISABLE_TELEMETRY=1 is set first: onnxruntime reads it when
 * its native library loads, which is why this import is dynamic and nothing else in the
 * runtime imports onnxruntime-node at module load.
 */
export async function loadOnnxRuntime(telemetry: boolean): Promise<Ort> {
  if (loaded === undefined) {
    if (!telemetry) process.env.ORT_DISABLE_TELEMETRY = '1';
    loaded = await import('onnxruntime-node');
  }
  return loaded;
}
