import { z } from 'zod';

/** A key of a Secret in the ModelDeployment's namespace. */
export const secretKeyRef = (description: string, defaultKey: string) =>
  z
    .strictObject({
      name: z
        .string()
        .min(1)
        .max(253)
        .describe('Name of a Secret in the ModelDeployment namespace.'),
      key: z
        .string()
        .min(1)
        .default(defaultKey)
        .describe(`Key inside the Secret (default "${defaultKey}").`),
    })
    .describe(description);
