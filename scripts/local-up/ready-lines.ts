/**
 * When `npm start` stops waiting for the examples: every ModelDeployment Ready, except
 * those waiting for a Gateway API controller (examples/gateway-canary.yaml), which neither
 * the local cluster nor most clusters a user tries this on run, so no wait would end it.
 * Pure; the caller reads the lines with READY_LINES_JSONPATH.
 */

/** `kubectl get mdep -o` this: one line per ModelDeployment, "name status reason". */
export const READY_LINES_JSONPATH =
  'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{" "}{.status.conditions[?(@.type=="Ready")].reason}{"\\n"}{end}';

/** Ready reasons no wait ends where no Gateway API controller runs. */
const NEEDS_GATEWAY_CONTROLLER = 'WaitingForRoute';

export interface Readiness {
  /** Nothing more will become Ready by waiting. */
  readonly settled: boolean;
  /** Not Ready only because no Gateway controller serves their route. */
  readonly waitingForRoute: readonly string[];
}

export function readiness(output: string): Readiness {
  const lines = output
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] !== undefined && f[0] !== '');
  const waitingForRoute = lines
    .filter(([, status, reason]) => status !== 'True' && reason === NEEDS_GATEWAY_CONTROLLER)
    .map(([name]) => name ?? '');
  const settled =
    lines.length > 0 &&
    lines.every(([, status, reason]) => status === 'True' || reason === NEEDS_GATEWAY_CONTROLLER);
  return { settled, waitingForRoute };
}

/** What to print about the ones that wait for a Gateway controller. */
export function routeNote(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `${names.join(', ')} wait(s) for a Gateway API controller to serve their HTTPRoute (examples/gateway-canary.yaml needs a Gateway named "inference"); without one they stay not Ready, the rest of the examples do not wait for them.`;
}
