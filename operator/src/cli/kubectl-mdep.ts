/** The executable's entry: wires the process's streams and exit code to runCli. */
import type { CliOutput } from './cli-output.js';
import { runCli } from './run-cli.js';

const io: CliOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  tty: process.stdout.isTTY === true,
};
process.exitCode = await runCli(process.argv.slice(2), io);
