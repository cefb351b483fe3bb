import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Kubernetes shows at most 4096 bytes of a termination message. */
const LIMIT = 4096;

/**
 * Writes why the process stops to TERMINATION_MESSAGE_PATH, which Kubernetes shows in the
 * pod's status. Only when the directory exists (outside a pod there is no /dev/termination-log
 * to write); never throws.
 */
export function writeTerminationMessage(path: string, message: string): boolean {
  try {
    if (!existsSync(dirname(path))) return false;
    writeFileSync(path, message.length > LIMIT ? `${message.slice(0, LIMIT - 1)}…` : message);
    return true;
  } catch {
    return false;
  }
}
