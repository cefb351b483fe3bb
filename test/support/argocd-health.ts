/**
 * Runs the shipped Argo CD health check (docs/argocd/modeldeployment-health.lua) on an
 * object with a real Lua interpreter (Debian's lua5.4). Argo CD hands the script the live
 * object as the global `obj` and reads the `hs` table it returns; this does the same.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const HEALTH_SCRIPT = fileURLToPath(
  new URL('../../docs/argocd/modeldeployment-health.lua', import.meta.url),
);

export interface ArgoVerdict {
  readonly status: string;
  readonly message: string;
}

const LUA = 'lua5.4';

/** A Lua string literal; bytes outside printable ASCII become \ddd escapes (Lua 5.1 and 5.4). */
function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (byte >= 0x20 && byte < 0x7f) out += c;
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The JSON value as a Lua table constructor, the shape Argo CD gives the script. */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return luaString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no JSON form`);
    return Number.isInteger(value) ? String(value) : value.toPrecision(17);
  }
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${toLuaLiteral(v)}`);
    return `{${fields.join(', ')}}`;
  }
  throw new Error(`cannot express a ${typeof value} in Lua`);
}

/** Defines obj, runs the script like Argo CD does and prints hs.status and hs.message. */
function harness(obj: object): string {
  return [
    `obj = ${toLuaLiteral(obj)}`,
    'local hs = dofile(arg[1])',
    'assert(type(hs) == "table", "the health script must return a table")',
    'assert(type(hs.status) == "string", "hs.status must be a string")',
    'io.write(hs.status, "\\n", tostring(hs.message or ""))',
  ].join('\n');
}

/** The health the shipped script gives obj; rejects with a fix when lua5.4 is missing. */
export function argoHealthOf(obj: object, script: string = HEALTH_SCRIPT): Promise<ArgoVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn(LUA, ['-', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new Error(
            `${LUA} is not installed; run scripts/setup.sh --test (it installs Debian's lua5.4)`,
          ),
        );
      } else reject(err);
    });
    child.once('close', (code) => {
      if (code !== 0)
        return reject(new Error(`${LUA} ${script} failed (${code}): ${stderr.trim()}`));
      const newline = stdout.indexOf('\n');
      resolve({ status: stdout.slice(0, newline), message: stdout.slice(newline + 1) });
    });
    // A failed spawn also fails the write; the error and close handlers above report it.
    child.stdin.on('error', () => undefined);
    child.stdin.end(harness(obj));
  });
}
