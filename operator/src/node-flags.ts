/**
 * V8 flags the operator runs with, wherever it runs: the image's ENTRYPOINT, `npm start`,
 * the tests and the benchmark (a unit test keeps Dockerfile.operator and package.json in
 * step with this list).
 *
 * The operator's live heap at 1000 ModelDeployments is about 30 MiB, but with V8's default
 * heap growth the process let garbage (replaced cache entries, parsed watch events) reach
 * ~100 MiB before a full GC, for a peak RSS of 186–192 MiB. `--optimize-for-size` makes V8
 * grow the heap conservatively: peak 94 MiB at the same convergence time (242 s), see
 * docs/benchmarks.md. It cannot go in NODE_OPTIONS (node refuses it there), so it is an
 * argument of the node command.
 */
export const OPERATOR_NODE_FLAGS: readonly string[] = ['--optimize-for-size'];
