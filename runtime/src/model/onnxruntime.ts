import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;

let loaded: Ort | undefined;

/**
 * Unless telemetry was opted into (ORT_TELEMETRY=on), sets ORT_DISABLE_TELEMETRY=1.
 * onnxruntime reads it from the process environment when its native library loads, so
 * this must run first, on the main thread (a worker's process.env is a private copy).
 */
export function applyTelemetryChoice(telemetry: boolean): void {
  if (!telemetry) process.env.ORT_DISABLE_TELEMETRY = '1';
}

/**
 * Imports onnxruntime-node on first use, after applyTelemetryChoice: that is why this
 * import is dynamic and nothing else in the runtime imports onnxruntime-node at module load.
 */
export async function loadOnnxRuntime(telemetry: boolean): Promise<Ort> {
  if (loaded === undefined) {
    applyTelemetryChoice(telemetry);
    loaded = await import('onnxruntime-node');
  }
  return loaded;
}
