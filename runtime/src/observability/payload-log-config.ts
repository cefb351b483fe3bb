import { z } from 'zod';
import type { RuntimeEnv } from '../config/env-schema.js';

export const redactionSchema = z.array(
  z.strictObject({
    input: z.string().min(1),
    mode: z.enum(['drop', 'hash']).default('drop'),
  }),
);

export type Redaction = z.output<typeof redactionSchema>[number];

/** PAYLOAD_LOG_REDACT: JSON (input names may hold ':' or ','), checked with its own messages. */
export const redactionVariable = z.string().transform((text, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(err as Error).message}` });
    return z.NEVER;
  }
  const parsed = redactionSchema.safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({
      code: 'custom',
      message: `expected [{"input": "<name>", "mode": "drop" | "hash"}]: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    });
    return z.NEVER;
  }
  return parsed.data;
});

/** What payload logging needs; `undefined` in RuntimeConfig means it is off. */
export interface PayloadLogConfig {
  readonly sampleRatio: number;
  readonly logFailures: boolean;
  /** Input name → what to do with its values. */
  readonly redact: ReadonlyMap<string, Redaction['mode']>;
  readonly maxRecordBytes: number;
}

export function payloadLogConfig(e: RuntimeEnv): PayloadLogConfig | undefined {
  if (e.PAYLOAD_LOG_SAMPLE_RATIO === 0 && !e.PAYLOAD_LOG_FAILURES) return undefined;
  return {
    sampleRatio: e.PAYLOAD_LOG_SAMPLE_RATIO,
    logFailures: e.PAYLOAD_LOG_FAILURES,
    redact: new Map((e.PAYLOAD_LOG_REDACT ?? []).map((r) => [r.input, r.mode])),
    maxRecordBytes: e.PAYLOAD_LOG_MAX_RECORD_BYTES,
  };
}
