/**
 * A route's hooks of one kind with `hook` added last. Hooks added in an `onRoute` hook run
 * for that route alone, so work that only inference routes need costs the other routes
 * nothing; fastify takes a route's hooks as one function or a list.
 */
export function withHook<T>(hooks: T | T[] | undefined, hook: T): T[] {
  if (hooks === undefined) return [hook];
  return Array.isArray(hooks) ? [...hooks, hook] : [hooks, hook];
}
