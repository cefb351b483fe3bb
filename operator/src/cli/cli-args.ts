import { parseArgs } from 'node:util';
import { CliError } from './api-failure.js';
import type { KubeFlags } from './kube-session.js';

export const VERBS = ['get', 'watch', 'promote', 'abort', 'pause', 'resume', 'predict'] as const;
export type Verb = (typeof VERBS)[number];

export interface ParsedArgs {
  verb: Verb | 'help';
  name: string;
  flags: KubeFlags;
  help: boolean;
  /** predict: the request body file ("-" for stdin). */
  file?: string;
  /** predict: send to the track serving this version. */
  version?: string;
  /** watch: give up after this many seconds. */
  timeoutSeconds: number;
  /** watch: seconds between refreshes. */
  intervalSeconds: number;
}

const options = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  filename: { type: 'string', short: 'f' },
  version: { type: 'string' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** kubectl passes everything after `kubectl mdep`; flags may come before or after NAME. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new CliError(`${(err as Error).message}; see kubectl mdep --help`);
  }
  const { values, positionals } = parsed;
  const [verbWord, name, ...extra] = positionals;
  const help = values.help ?? false;
  if (verbWord === undefined || verbWord === 'help') return base('help', name ?? '', values, true);
  if (!isVerb(verbWord))
    throw new CliError(`unknown command "${verbWord}"; commands: ${VERBS.join(', ')}`);
  if (!help && name === undefined)
    throw new CliError(
      `kubectl mdep ${verbWord} needs the ModelDeployment's name; see kubectl mdep ${verbWord} --help`,
    );
  if (extra.length > 0) throw new CliError(`unexpected arguments: ${extra.join(' ')}`);
  if (!help && verbWord === 'predict' && values.filename === undefined) {
    throw new CliError(
      'kubectl mdep predict needs the request: -f request.json (or -f - for stdin)',
    );
  }
  return base(verbWord, name ?? '', values, help);
}

function parse(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
}

function base(
  verb: Verb | 'help',
  name: string,
  values: ReturnType<typeof parse>['values'],
  help: boolean,
): ParsedArgs {
  return {
    verb,
    name,
    help,
    flags: { kubeconfig: values.kubeconfig, context: values.context, namespace: values.namespace },
    file: values.filename,
    version: values.version,
    timeoutSeconds: seconds(values.timeout, '--timeout', 600),
    intervalSeconds: seconds(values.interval, '--interval', 2),
  };
}

function isVerb(word: string): word is Verb {
  return (VERBS as readonly string[]).includes(word);
}

/** "90", "90s", "5m" → seconds. */
function seconds(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)(s|m)?$/.exec(value);
  if (match === null)
    throw new CliError(`${flag} must be a duration such as 90s or 5m, not "${value}"`);
  const n = Number(match[1]);
  return match[2] === 'm' ? n * 60 : n;
}
