/**
 * The host state a real node changes outside its processes, and how to undo it: mounts
 * under the cluster's temp dir, the pod bridge, the kubepods cgroups, iptables chains
 * (kube-proxy's and CNI's) and the sysctls kubelet and kube-proxy tune.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CGROUP_V1 = '/sys/fs/cgroup';

/** Run a command; resolves with its output and exit code, never rejects on exit code. */
export async function sh(
  cmd: string,
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(cmd, [...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: unknown; stderr?: unknown; message?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 127,
      stdout: typeof e.stdout === 'string' ? e.stdout : '',
      stderr: typeof e.stderr === 'string' ? e.stderr : String(e.message),
    };
  }
}

export async function shOk(cmd: string, args: readonly string[]): Promise<string> {
  const res = await sh(cmd, args);
  if (res.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.code}: ${res.stderr.trim()}`);
  }
  return res.stdout;
}

// ---- mounts ----

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    // mountinfo escapes spaces etc. as \040; our paths have none.
    .filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function unmountAll(dir: string): Promise<string[]> {
  const failed: string[] = [];
  for (let round = 0; round < 3; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return [];
    failed.length = 0;
    for (const p of points) {
      // Lazy: a mount still busy in a dying process is detached now, freed when it exits.
      const res = await sh('umount', ['-l', p]);
      if (res.code !== 0 && mountsUnder(p).includes(p)) failed.push(`${p}: ${res.stderr.trim()}`);
    }
  }
  return failed;
}

// ---- cgroups (v1: one hierarchy per subsystem) ----

/**
 * The mounted hierarchies: one per v1 subsystem, plus the v2 `unified` one where a hybrid
 * host has it (kubelet mirrors its cgroups there too, so it must be cleaned as well).
 */
export function cgroupSubsystems(withUnified = true): string[] {
  if (!existsSync(CGROUP_V1)) return [];
  return readdirSync(CGROUP_V1).filter(
    (s) => (withUnified || s !== 'unified') && existsSync(join(CGROUP_V1, s, 'cgroup.procs')),
  );
}

export function createCgroup(root: string): void {
  for (const s of cgroupSubsystems(false)) {
    mkdirSync(join(CGROUP_V1, s, root), { recursive: true });
  }
}

function cgroupDirs(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...cgroupDirs(join(dir, entry.name)));
  }
  out.push(dir);
  return out; // children before parents
}

/** Pids in the cgroup tree `root` (relative to each subsystem's mount). */
export function cgroupPids(root: string): number[] {
  const pids = new Set<number>();
  for (const s of cgroupSubsystems()) {
    for (const dir of cgroupDirs(join(CGROUP_V1, s, root))) {
      try {
        for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
          const pid = Number(line);
          if (line !== '' && Number.isInteger(pid)) pids.add(pid);
        }
      } catch {
        // removed meanwhile
      }
    }
  }
  return [...pids];
}

/** SIGKILL everything in the tree, then remove it; returns what could not be removed. */
export async function destroyCgroup(root: string, timeoutMs = 5_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = cgroupPids(root);
    if (pids.length === 0 || Date.now() > deadline) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const left: string[] = [];
  for (const s of cgroupSubsystems()) {
    for (const dir of cgroupDirs(join(CGROUP_V1, s, root))) {
      try {
        rmdirSync(dir);
      } catch (error) {
        // ENOENT: runc or kubelet removed it meanwhile, which is what we want.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          left.push(`${dir}: ${(error as Error).message}`);
        }
      }
    }
  }
  return left;
}

// ---- bridge ----

export async function createBridge(name: string, cidrAddress: string): Promise<void> {
  await shOk('ip', ['link', 'add', name, 'type', 'bridge']);
  await shOk('ip', ['addr', 'add', cidrAddress, 'dev', name]);
  await shOk('ip', ['link', 'set', name, 'up']);
}

export async function deleteLink(name: string): Promise<void> {
  const exists = await sh('ip', ['link', 'show', name]);
  if (exists.code === 0) await shOk('ip', ['link', 'del', name]);
}

// ---- iptables ----

export const IPTABLES = ['iptables', 'ip6tables'] as const;
type IptablesCmd = (typeof IPTABLES)[number];

/** table -> chain names, from `iptables-save`. */
export type ChainSnapshot = Record<string, string[]>;

export function parseChains(save: string): ChainSnapshot {
  const out: ChainSnapshot = {};
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      out[table] = [];
    } else if (line.startsWith(':') && table !== '') {
      out[table]?.push(line.slice(1).split(' ')[0] ?? '');
    }
  }
  return out;
}

/** Split an iptables-save rule into argv, honouring double quotes. */
export function splitRule(rule: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  let has = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i] ?? '';
    if (c === '\\' && quoted && rule[i + 1] === '"') {
      current += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      has = true;
    } else if (c === ' ' && !quoted) {
      if (has || current !== '') args.push(current);
      current = '';
      has = false;
    } else {
      current += c;
    }
  }
  if (has || current !== '') args.push(current);
  return args;
}

export async function snapshotChains(): Promise<Partial<Record<IptablesCmd, ChainSnapshot>>> {
  const out: Partial<Record<IptablesCmd, ChainSnapshot>> = {};
  for (const cmd of IPTABLES) {
    const res = await sh(`${cmd}-save`, []);
    if (res.code === 0) out[cmd] = parseChains(res.stdout);
  }
  return out;
}

/**
 * Remove every chain that is not in `before` (matching `prefix`), and the rules of other
 * chains that jump to them. Returns the chains removed.
 */
export async function removeNewChains(
  before: Partial<Record<IptablesCmd, ChainSnapshot>>,
  prefixes: readonly string[],
): Promise<string[]> {
  const removed: string[] = [];
  for (const cmd of IPTABLES) {
    const old = before[cmd];
    if (old === undefined) continue;
    const save = await sh(`${cmd}-save`, []);
    if (save.code !== 0) continue;
    const now = parseChains(save.stdout);
    for (const [table, chains] of Object.entries(now)) {
      const fresh = chains.filter(
        (c) => prefixes.some((p) => c.startsWith(p)) && !(old[table] ?? []).includes(c),
      );
      if (fresh.length === 0) continue;
      const tableRules = tableSection(save.stdout, table);
      for (const rule of tableRules) {
        const args = splitRule(rule);
        const at = args.includes('-j') ? args.indexOf('-j') : args.indexOf('-g');
        const jump = at >= 0 ? args[at + 1] : undefined;
        const chain = args[1] ?? '';
        if (jump !== undefined && fresh.includes(jump) && !fresh.includes(chain)) {
          await sh(cmd, ['-w', '5', '-t', table, '-D', ...args.slice(1)]);
        }
      }
      for (const c of fresh) await sh(cmd, ['-w', '5', '-t', table, '-F', c]);
      for (const c of fresh) {
        const res = await sh(cmd, ['-w', '5', '-t', table, '-X', c]);
        if (res.code === 0) removed.push(`${cmd}/${table}/${c}`);
      }
    }
  }
  return removed;
}

function tableSection(save: string, table: string): string[] {
  const rules: string[] = [];
  let inTable = false;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) inTable = line.slice(1).trim() === table;
    else if (inTable && line.startsWith('-A ')) rules.push(line);
  }
  return rules;
}

// ---- sysctls ----

/** What kubelet (setupKernelTunables) and kube-proxy / the bridge plugin may change. */
export const TUNED_SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
] as const;

export type SysctlSnapshot = Record<string, string>;

export function snapshotSysctls(): SysctlSnapshot {
  const out: SysctlSnapshot = {};
  for (const key of TUNED_SYSCTLS) {
    try {
      out[key] = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      // not present on this kernel (e.g. br_netfilter not loaded)
    }
  }
  return out;
}

/** Write back every value that changed; returns the keys restored. */
export function restoreSysctls(before: SysctlSnapshot): string[] {
  const restored: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    try {
      const now = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
      if (now !== value) {
        writeFileSync(`/proc/sys/${key}`, value);
        restored.push(`${key}=${value} (was ${now})`);
      }
    } catch {
      // gone or read-only: nothing we can do, nothing to report
    }
  }
  return restored;
}
