#!/usr/bin/env node
// kubectl finds plugins as executables named kubectl-<name> on PATH. A source checkout runs
// the TypeScript through tsx (so it is never a stale build); an installed package without
// the sources or tsx runs the compiled plugin from dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/kubectl-mdep.ts', import.meta.url);
const compiled = new URL('../dist/cli/kubectl-mdep.js', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) ? await tsxRegister() : undefined;
if (register !== undefined) {
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write(
    'error: kubectl-mdep is not built; run npm run build in the operator package\n',
  );
  process.exitCode = 1;
}
