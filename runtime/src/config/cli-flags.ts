/**
 * Command-line flags for people: `--model ./m.onnx --port 8080`. Each flag names an
 * environment variable of the operator contract; flags win over the environment.
 */

const ALIASES: Readonly<Record<string, string>> = {
  model: 'MODEL_URI',
  uri: 'MODEL_URI',
  name: 'MODEL_NAME',
  version: 'MODEL_VERSION',
  sha256: 'MODEL_SHA256',
  track: 'MODEL_TRACK',
};

export class FlagError extends Error {}

/** `--batch-max-size` → `BATCH_MAX_SIZE`, with the short aliases above. */
function flagToVariable(flag: string): string {
  return ALIASES[flag] ?? flag.replace(/-/g, '_').toUpperCase();
}

export function variableToFlag(variable: string): string {
  const alias = Object.entries(ALIASES).find(([, v]) => v === variable);
  return `--${alias ? alias[0] : variable.toLowerCase().replace(/_/g, '-')}`;
}

/** Parses `--flag value`, `--flag=value` and bare boolean `--flag` into variables. */
export function parseFlags(
  argv: readonly string[],
  known: ReadonlySet<string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--'))
      throw new FlagError(`unexpected argument '${arg}'; flags look like --port 8080`);
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const variable = flagToVariable(flag);
    if (!known.has(variable))
      throw new FlagError(`unknown flag --${flag}; run with --help for the list`);
    if (eq !== -1) {
      out[variable] = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) {
      out[variable] = argv[++i] ?? '';
    } else {
      out[variable] = 'true';
    }
  }
  return out;
}
