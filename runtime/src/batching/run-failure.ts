import { HttpError } from '../errors.js';
import { InferenceError } from './errors.js';

/**
 * What onnxruntime says when a kernel refuses the values it was given (an index outside a
 * table, a shape computed from the data that does not fit), as opposed to a failure of the
 * session itself. Seen for Gather ("indices element out of data bounds"), GatherElements and
 * GatherND ("out of range", "invalid index"), OneHot, Reshape and Expand.
 */
const INPUT_FAULT =
  /out of (data )?bounds|out of range|invalid (index|indices|input)|cannot be reshaped|invalid dimension|not broadcastable/i;

/**
 * The answer for a request whose run failed on its own (alone in its batch, or isolated from
 * one): 400 naming the input when onnxruntime's message blames the data, else 500. The input is
 * the one the message names, or the only input the model has; otherwise all of them are listed.
 */
export function runFailure(message: string, inputNames: readonly string[]): HttpError {
  if (!INPUT_FAULT.test(message)) return new InferenceError(message);
  const named = inputNames.filter(
    (name) => message.includes(`'${name}'`) || message.includes(`input: ${name} `),
  );
  const blamed = named.length > 0 ? named : inputNames;
  const which =
    blamed.length === 1
      ? `input '${blamed[0] ?? ''}'`
      : `one of the inputs ${blamed.map((n) => `'${n}'`).join(', ')}`;
  return new HttpError(
    400,
    `${which} holds a value the model cannot take (the other requests in its batch succeeded): ${message}`,
  );
}
