import { z } from 'zod';
import { V2_DATATYPES } from '../tensor/datatypes.js';

/** GOLDEN_REQUESTS: inputs and expected outputs a model must reproduce before it is ready. */
const goldenRequestSchema = z
  .object({
    name: z.string().min(1),
    inputs: z
      .array(
        z.object({
          name: z.string().min(1),
          shape: z.array(z.int().min(0)),
          datatype: z.enum(V2_DATATYPES as [string, ...string[]]).optional(),
          data: z.array(z.union([z.number(), z.boolean()])),
        }),
      )
      .min(1),
    outputs: z
      .array(
        z.object({ name: z.string().min(1), data: z.array(z.union([z.number(), z.boolean()])) }),
      )
      .min(1),
    tolerance: z.number().min(0).default(1e-4),
  })
  .strict();

export type GoldenRequest = z.infer<typeof goldenRequestSchema>;

export const goldenRequestsSchema = z.array(goldenRequestSchema);
