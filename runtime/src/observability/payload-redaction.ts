import { createHash } from 'node:crypto';
import type { InputsByName } from './payload-inputs.js';
import type { Redaction } from './payload-log-config.js';

export type RedactionModes = ReadonlyMap<string, Redaction['mode']>;

/** drop: the input is left out; hash: its data is replaced by the SHA-256 of its JSON. */
export function redactInputs(
  inputs: InputsByName,
  modes: RedactionModes,
): { inputs: InputsByName; redacted: string[] } {
  if (modes.size === 0) return { inputs, redacted: [] };
  const out: InputsByName = {};
  const redacted: string[] = [];
  for (const [name, value] of Object.entries(inputs)) {
    const mode = modes.get(name);
    if (mode === undefined) out[name] = value;
    else {
      redacted.push(name);
      if (mode === 'hash') out[name] = { sha256: sha256Of(value) };
    }
  }
  return { inputs: out, redacted };
}

function sha256Of(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value) ?? '')
    .digest('hex');
}

/**
 * Validation errors quote the offending element ("input 'ssn': element 3 is …"), so the
 * error of a redacted input keeps only its first clause.
 */
export function redactError(message: string, modes: RedactionModes): string {
  for (const name of modes.keys()) {
    if (message.includes(`'${name}'`))
      return `a redacted input ('${name}') was refused; the message is withheld from the log`;
  }
  return message;
}
