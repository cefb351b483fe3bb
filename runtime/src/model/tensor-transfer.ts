import type { TensorData } from '../tensor/datatypes.js';
import type { HostTensor, TensorMap } from '../tensor/host-tensor.js';

type TensorDataConstructor = new (source: TensorData) => TensorData;

/**
 * Prepares tensors for postMessage to or from the session worker: a tensor whose data spans
 * its whole ArrayBuffer is sent as is and its buffer goes on the transfer list (moved, not
 * copied; the sender's array is detached afterwards). A view on part of a larger buffer (a
 * pooled Buffer, a subarray of a batch) or on a SharedArrayBuffer is copied first:
 * transferring it would move, and detach, memory other views still use.
 */
export function tensorsForTransfer(
  tensors: TensorMap,
  transfer: ArrayBuffer[],
): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    out[name] = tensorForTransfer(tensor, transfer);
  }
  return out;
}

function tensorForTransfer(tensor: HostTensor, transfer: ArrayBuffer[]): HostTensor {
  const { data } = tensor;
  const buffer = data.buffer;
  const whole =
    buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength;
  if (whole) {
    // Two feeds may share one buffer; listing it twice would make postMessage throw.
    if (!transfer.includes(buffer)) transfer.push(buffer);
    return { data, dims: [...tensor.dims] };
  }
  return { data: copyOf(data), dims: [...tensor.dims] };
}

/** The same elements in a new array of the same type that owns its whole buffer. */
function copyOf(data: TensorData): TensorData {
  const Ctor = data.constructor as TensorDataConstructor;
  return new Ctor(data);
}

/** Copies every tensor, for when postMessage refused a transfer (an untransferable buffer). */
export function copiedTensors(tensors: TensorMap): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, tensor] of Object.entries(tensors)) {
    out[name] = { data: copyOf(tensor.data), dims: [...tensor.dims] };
  }
  return out;
}
