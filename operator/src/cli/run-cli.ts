import { CliError } from './api-failure.js';
import { parseCliArgs, type ParsedArgs } from './cli-args.js';
import type { CliOutput } from './cli-output.js';
import { runEdit } from './edit-command.js';
import { fetchSnapshot } from './fetch-snapshot.js';
import { overallHelp, verbHelp } from './help-text.js';
import { openSession } from './kube-session.js';
import { runPredict } from './predict-command.js';
import { renderTree } from './render-tree.js';
import { runWatch } from './watch-command.js';

/** `kubectl mdep …`: parses, runs one verb, and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliOutput): Promise<number> {
  try {
    const args = parseCliArgs(argv);
    if (args.verb === 'help') {
      io.out(overallHelp());
      return 0;
    }
    if (args.help) {
      io.out(verbHelp(args.verb));
      return 0;
    }
    return await runVerb(args, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`error: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function runVerb(args: ParsedArgs, io: CliOutput): Promise<number> {
  const session = openSession(args.flags);
  switch (args.verb) {
    case 'get':
      io.out(renderTree(await fetchSnapshot(session, args.name), new Date()));
      return 0;
    case 'watch':
      return runWatch(session, args.name, io, {
        timeoutSeconds: args.timeoutSeconds,
        intervalSeconds: args.intervalSeconds,
        now: () => new Date(),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      });
    case 'predict':
      return runPredict(session, args.name, args.file ?? '-', args.version, io);
    case 'help':
      io.out(overallHelp());
      return 0;
    default:
      return runEdit(session, args.verb, args.name, io);
  }
}
