import type { InputsByName } from './payload-inputs.js';
import { redactError, redactInputs, type RedactionModes } from './payload-redaction.js';

/** What one answered inference request left behind, before redaction and truncation. */
export interface AnsweredRequest {
  readonly requestId: string;
  readonly traceId: string | undefined;
  readonly route: string;
  readonly status: number;
  readonly latencyMs: number;
  /** undefined: the body did not have the protocol's shape. */
  readonly inputs: InputsByName | undefined;
  /** The response body as sent: JSON text, or bytes of a binary V2 answer. */
  readonly response: string | Buffer | undefined;
}

export interface PayloadRecord {
  readonly request_id: string;
  readonly trace_id?: string;
  readonly route: string;
  readonly status: number;
  readonly latency_ms: number;
  readonly inputs?: unknown;
  readonly outputs?: unknown;
  readonly error?: string;
  readonly redacted?: readonly string[];
  /** Set when inputs or outputs were cut to fit maxRecordBytes (they are then text). */
  readonly truncated?: true;
  readonly note?: string;
}

/** Room kept for what pino adds to each line (time, level, name, model, version, track). */
const LINE_OVERHEAD_BYTES = 256;

/** The record to log: redacted, and no longer than maxRecordBytes as a JSON line. */
export function payloadRecord(
  answered: AnsweredRequest,
  modes: RedactionModes,
  maxRecordBytes: number,
): PayloadRecord {
  const base = {
    request_id: answered.requestId,
    ...(answered.traceId !== undefined && { trace_id: answered.traceId }),
    route: answered.route,
    status: answered.status,
    latency_ms: Math.round(answered.latencyMs * 1000) / 1000,
  };
  const { inputs, redacted, note } = recordedInputs(answered.inputs, modes);
  const { outputs, error } = recordedResponse(answered.response, answered.status, modes);
  const full: PayloadRecord = {
    ...base,
    ...(inputs !== undefined && { inputs }),
    ...(outputs !== undefined && { outputs }),
    ...(error !== undefined && { error }),
    ...(redacted.length > 0 && { redacted }),
    ...(note !== undefined && { note }),
  };
  const budget = maxRecordBytes - LINE_OVERHEAD_BYTES;
  if (Buffer.byteLength(JSON.stringify(full)) <= budget) return full;
  return truncated(full, budget);
}

function recordedInputs(
  inputs: InputsByName | undefined,
  modes: RedactionModes,
): { inputs: unknown; redacted: string[]; note?: string } {
  if (inputs === undefined) {
    // Without the protocol's shape a redacted input cannot be found, so nothing is kept.
    return { inputs: undefined, redacted: [], note: 'request body not in the protocol’s shape' };
  }
  return redactInputs(inputs, modes);
}

function recordedResponse(
  response: string | Buffer | undefined,
  status: number,
  modes: RedactionModes,
): { outputs?: unknown; error?: string } {
  if (response === undefined) return {};
  if (typeof response !== 'string') return { outputs: { binary_bytes: response.length } };
  let body: unknown;
  try {
    body = JSON.parse(response);
  } catch {
    return { outputs: response };
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (status >= 400) return { error: redactError(String(fields['error'] ?? response), modes) };
  return { outputs: fields['outputs'] ?? fields['predictions'] ?? body };
}

/** Inputs and outputs become text cut to share what room the rest of the record leaves. */
function truncated(full: PayloadRecord, budget: number): PayloadRecord {
  const { inputs, outputs, ...rest } = full;
  const marked = { ...rest, truncated: true as const };
  const room = Math.max(0, budget - Buffer.byteLength(JSON.stringify(marked)) - 32);
  const inputsText = inputs === undefined ? '' : JSON.stringify(inputs);
  const outputsText = outputs === undefined ? '' : JSON.stringify(outputs);
  const [inputsRoom, outputsRoom] = share(room, quotedBytes(inputsText), quotedBytes(outputsText));
  return {
    ...marked,
    ...(inputs !== undefined && { inputs: cut(inputsText, inputsRoom) }),
    ...(outputs !== undefined && { outputs: cut(outputsText, outputsRoom) }),
  };
}

/** Half each, and what one side does not need goes to the other. */
function share(room: number, inputsNeed: number, outputsNeed: number): [number, number] {
  const half = Math.floor(room / 2);
  if (inputsNeed <= half) return [inputsNeed, room - inputsNeed];
  if (outputsNeed <= half) return [room - outputsNeed, outputsNeed];
  return [half, room - half];
}

/** Bytes of the text once written as a JSON string (quotes and escapes included). */
function quotedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

/** The longest prefix whose JSON string, with the ellipsis, fits in `bytes`. */
function cut(text: string, bytes: number): string {
  if (quotedBytes(text) <= bytes) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (quotedBytes(`${text.slice(0, mid)}…`) <= bytes) low = mid;
    else high = mid - 1;
  }
  return `${text.slice(0, low)}…`;
}
