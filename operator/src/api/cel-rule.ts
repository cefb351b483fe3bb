import type { z } from 'zod';

/**
 * A cross-field rule stated once and enforced twice: the API server evaluates `rule`
 * (CEL, emitted into the CRD as x-kubernetes-validations) and the operator evaluates
 * `holds` when it parses a resource, so both reject the same specs with the same message.
 */
export interface CelRule<T> {
  /** CEL expression evaluated by kube-apiserver with `self` bound to the annotated value. */
  readonly rule: string;
  /** The message users see from both kubectl and the operator. */
  readonly message: string;
  /** Where the operator reports the failure, relative to the annotated value. */
  readonly path?: readonly string[];
  /** The same predicate in TypeScript. */
  readonly holds: (value: T) => boolean;
}

/** Attaches rules to a schema as zod refinements and as CRD metadata. */
export function withRules<S extends z.ZodType>(
  schema: S,
  rules: readonly CelRule<z.output<S>>[],
): S {
  const refined = schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (!r.holds(value)) {
        ctx.addIssue({ code: 'custom', message: r.message, path: [...(r.path ?? [])] });
      }
    }
  });
  return refined.meta({
    'x-kubernetes-validations': rules.map((r) => ({ rule: r.rule, message: r.message })),
  }) as S;
}
