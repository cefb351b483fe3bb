/**
 * The command line of `npm start`: the embedded local cluster (default) or, only when
 * `--context NAME` is given, a cluster the user already has. Never the current context by
 * accident. Pure, so every refusal is unit-tested.
 */

export type StartMode =
  | {
      readonly kind: 'embedded';
      readonly kwok: boolean;
      readonly realNode: boolean;
    }
  | {
      readonly kind: 'context';
      readonly context: string;
      /** --kubeconfig FILE; otherwise KUBECONFIG or ~/.kube/config, as kubectl reads them. */
      readonly kubeconfig?: string;
      /** --registry HOST/PATH: push the images there (neither kind nor k3d). */
      readonly registry?: string;
      /** --images-present: the nodes already have the local images (nothing to deliver). */
      readonly imagesPresent: boolean;
      /** --cleanup: remove what an earlier `npm start -- --context NAME` installed. */
      readonly cleanup: boolean;
    };

export const START_USAGE = `usage:
  npm start                                   local control plane + real node (or kwok)
  npm start -- --kwok | --real-node           force kwok fake nodes / require the real node
  npm start -- --context NAME [--kubeconfig FILE] [--registry HOST/PATH | --images-present]
                                              install on a cluster you already have
  npm start -- --context NAME --cleanup       remove what that install put there`;

const WITH_VALUE = ['--context', '--kubeconfig', '--registry'] as const;
const FLAGS = ['--kwok', '--real-node', '--cleanup', '--images-present'] as const;

function usageError(message: string): Error {
  return new Error(`${message}\n${START_USAGE}`);
}

function collect(args: readonly string[]): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    if ((WITH_VALUE as readonly string[]).includes(name ?? '')) {
      const value = inline ?? args[++i];
      if (value === undefined || value === '' || value.startsWith('--'))
        throw usageError(`${name} needs a value`);
      values.set(name ?? '', value);
    } else if ((FLAGS as readonly string[]).includes(arg)) {
      flags.add(arg);
    } else {
      throw usageError(`unknown argument ${arg}`);
    }
  }
  return { values, flags };
}

export function parseStartArgs(args: readonly string[]): StartMode {
  const { values, flags } = collect(args);
  const context = values.get('--context');
  if (context === undefined) {
    for (const only of ['--kubeconfig', '--registry', '--cleanup', '--images-present']) {
      if (values.has(only) || flags.has(only))
        throw usageError(`${only} applies only with --context NAME`);
    }
    if (flags.has('--kwok') && flags.has('--real-node'))
      throw usageError('--kwok and --real-node exclude each other');
    return { kind: 'embedded', kwok: flags.has('--kwok'), realNode: flags.has('--real-node') };
  }
  for (const local of ['--kwok', '--real-node']) {
    if (flags.has(local))
      throw usageError(`${local} is about the embedded cluster; it does not go with --context`);
  }
  const kubeconfig = values.get('--kubeconfig');
  const registry = values.get('--registry');
  if (registry !== undefined && flags.has('--images-present'))
    throw usageError('--registry and --images-present exclude each other');
  return {
    kind: 'context',
    context,
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(registry !== undefined ? { registry: registry.replace(/\/+$/, '') } : {}),
    imagesPresent: flags.has('--images-present'),
    cleanup: flags.has('--cleanup'),
  };
}
