/**
 * V8 flags the runtime runs with, wherever it runs: the image's ENTRYPOINT, `npm start -w
 * runtime` and the benchmarks (a unit test keeps Dockerfile.runtime, package.json and
 * bench/lib/our-runtime.ts in step with this list).
 *
 * `--single-threaded-gc`: V8 collects garbage with helper threads by default (node starts
 * four). A runtime pod usually has one CPU or less, and on one CPU the helpers queue behind
 * the JavaScript thread instead of running beside it. bench/runtime/gc-mode.ts (tiny model,
 * wrk at c=64, fresh processes): on one pinned CPU 76 µs of CPU per request by default and
 * 72 with the flag, and 2 default processes in 11 (this run and a first one) fell into
 * 10-12 ms scavenges and a 47-68 ms p99 for their whole life, none of 11 with the flag; on
 * two CPUs 86 against 77. The runtime's heap is small (the tensors live outside it): a
 * scavenge on one thread takes about 1.4 ms against 1.0 with helpers. It cannot go in
 * NODE_OPTIONS (node refuses it there), so it is an argument of the node command.
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
