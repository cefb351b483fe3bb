import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc extension; `{ type: 'minor' }` asks for a scavenge of the young generation only. */
type GcExtension = (options?: { type: 'minor' | 'major' }) => void;

/**
 * Received bytes between two scavenges. Each socket read of a download is a new 64 KiB
 * buffer that dies once copied into the hashing thread's ring (slot-ring.ts), but V8 frees
 * dead buffers only when a GC runs, and their small JS objects hardly fill the young
 * generation: left alone, ~44 MiB of them piled up before V8's external-memory limit
 * started a GC. A chunk lives for far less than this, so it survives at most one scavenge
 * and is not promoted to the old generation.
 */
export const SCAVENGE_EVERY_BYTES = 8 * 1024 * 1024;

let extension: GcExtension | undefined;

/**
 * The gc function without starting node with --expose-gc (the image, the tests and the
 * benchmarks start the runtime in many ways): the flag installs `gc` in contexts created
 * after it is set, and it is cleared again so the main context is unchanged.
 */
function gcExtension(): GcExtension {
  if (extension !== undefined) return extension;
  setFlagsFromString('--expose-gc');
  try {
    extension = runInNewContext('gc') as GcExtension;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return extension;
}

/**
 * An onBytes hook that runs a scavenge (~0.5 ms) each time another SCAVENGE_EVERY_BYTES
 * have arrived, so a download's dead socket buffers are freed as it goes and its RSS
 * growth stays a few MiB over what it holds.
 */
export function scavengeEvery(
  everyBytes: number = SCAVENGE_EVERY_BYTES,
  scavenge: () => void = () => gcExtension()({ type: 'minor' }),
): (bytes: number) => void {
  let next = everyBytes;
  return (bytes) => {
    if (bytes < next) return;
    next = bytes + everyBytes;
    scavenge();
  };
}
