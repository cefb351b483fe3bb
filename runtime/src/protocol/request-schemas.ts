import { z } from 'zod';
import { ALL_V2_DATATYPES } from '../tensor/datatypes.js';
import type { ModelSignature } from '../model/metadata.js';
import { badRequest, type HttpError } from '../errors.js';

const tensorData = z.custom<unknown[]>((v) => Array.isArray(v), {
  error: 'expected an array of numbers (flat or nested, row-major)',
});

const parameters = z.record(z.string(), z.unknown()).optional();

/** Request schemas for the three protocols, built from one model's own metadata. */
export function buildRequestSchemas(signature: ModelSignature) {
  const inputNames = signature.inputs.map((s) => s.name) as [string, ...string[]];
  const outputNames = signature.outputs.map((s) => s.name) as [string, ...string[]];
  const outputName = z.enum(outputNames, {
    error: `expected one of the model's outputs: ${outputNames.join(', ')}`,
  });
  const inputName = z.enum(inputNames, {
    error: `expected one of the model's inputs: ${inputNames.join(', ')}`,
  });
  return {
    predict: z.object({
      inputs: z.strictObject(Object.fromEntries(inputNames.map((n) => [n, tensorData]))),
      outputs: z.array(outputName).min(1).optional(),
      parameters,
    }),
    v1: z.object({
      instances: tensorData.refine((a) => a.length > 0, 'empty batch: send at least one instance'),
      parameters,
    }),
    v2: z.object({
      id: z.string().max(256).optional(),
      parameters,
      inputs: z
        .array(
          z.object({
            name: inputName,
            shape: z.array(z.int().min(0), { error: 'expected an array of non-negative integers' }),
            datatype: z.enum(ALL_V2_DATATYPES, {
              error: `expected one of ${ALL_V2_DATATYPES.join(', ')}`,
            }),
            parameters,
            data: tensorData.optional(),
          }),
        )
        .min(1, 'expected at least one input'),
      outputs: z.array(z.object({ name: outputName, parameters })).optional(),
    }),
  };
}

export type RequestSchemas = ReturnType<typeof buildRequestSchemas>;

/**
 * Refuses, before zod sees the body, a list or object of inputs or outputs with more entries
 * than the model has: zod would check and report every entry (200,000 entries held the event
 * loop for seconds), and no such request can be valid.
 */
export function checkEntryCount(
  body: unknown,
  key: 'inputs' | 'outputs',
  names: readonly string[],
): void {
  if (typeof body !== 'object' || body === null) return;
  const value = (body as Record<string, unknown>)[key];
  if (typeof value !== 'object' || value === null) return;
  const count = Array.isArray(value) ? value.length : Object.keys(value).length;
  if (count <= names.length) return;
  const singular = key.slice(0, -1);
  throw badRequest(
    `${key}: ${count} entries, but the model has ${names.length} ${names.length === 1 ? singular : key} ` +
      `(${names.map((n) => `'${n}'`).join(', ')}); name each ${singular} at most once`,
  );
}

/** Parses a body with a schema; a failure becomes a 400 whose message names each bad field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw invalidBody(result.error);
}

function invalidBody(error: z.ZodError): HttpError {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('');
    const where = path.length > 0 ? path.replace(/^\./, '') : 'body';
    const message =
      issue.code === 'unrecognized_keys' && path === '.inputs'
        ? `unknown input ${issue.keys
            .slice(0, 5)
            .map((k) => `'${k.slice(0, 64)}'`)
            .join(', ')}${issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : ''}`
        : issue.message;
    return `${where}: ${message}`;
  });
  return badRequest(`invalid request: ${parts.join('; ')}`);
}
