import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * Linux /proc, read the one way the package reads it. Parsing is pure and
 * kept apart (parseProcStat) so its edge cases are table-tested; the readers
 * answer null where /proc is missing (not Linux) or the process is gone.
 */

/** The fields of /proc/<pid>/stat the package uses. */
export interface ProcStat {
  pid: number;
  /** The command name, without its parentheses; it may hold spaces and ')'. */
  comm: string;
  /** One letter: R running, S sleeping, Z zombie, ... */
  state: string;
  ppid: number;
  /** The process group. */
  pgrp: number;
  /** Field 22: clock ticks after boot at which the process started (tells a reused pid apart); null if absent. */
  startTime: number | null;
}

/**
 * Parse /proc/<pid>/stat. The command name sits in parentheses and may
 * itself contain ') ' and spaces, so the fields are counted from the LAST ')'.
 * Null for anything that does not have that shape.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ") ": state(3) ppid(4) pgrp(5) session(6) ... starttime(22), numbered as in proc(5).
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const state = rest[0] ?? '';
  const ppid = Number(rest[1]);
  const pgrp = Number(rest[2]);
  const startField = rest[22 - 3];
  const startTime = startField !== undefined && /^\d+$/.test(startField) ? Number(startField) : null;
  if (!Number.isInteger(pid) || pid <= 0 || !/^[A-Za-z]$/.test(state)) return null;
  if (![ppid, pgrp].every((n) => Number.isInteger(n) && n >= 0)) return null;
  return { pid, comm: text.slice(open + 1, close), state, ppid, pgrp, startTime };
}

/** The pids /proc lists; null when /proc cannot be read (not Linux). */
export async function listPids(procRoot = '/proc'): Promise<number[] | null> {
  try {
    const entries = await readdir(procRoot);
    return entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return null;
  }
}

/** /proc/<pid>/stat parsed; null when the process is gone or the file unreadable. */
export async function readProcStat(pid: number, procRoot = '/proc'): Promise<ProcStat | null> {
  try {
    return parseProcStat(await readFile(`${procRoot}/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** argv of a process (NUL-separated in /proc); throws when gone or unreadable. */
export async function readCmdline(pid: number, procRoot = '/proc'): Promise<string[]> {
  const text = await readFile(`${procRoot}/${pid}/cmdline`, 'utf8');
  return text.split('\0').filter((arg) => arg !== '');
}

/** The working directory of a process; throws (ENOENT, EACCES, ...) when it cannot be read. */
export function readCwd(pid: number, procRoot = '/proc'): Promise<string> {
  return readlink(`${procRoot}/${pid}/cwd`);
}

/**
 * Whether a live (non-zombie) process of group `pgid` is left. Zombies count
 * as gone: they run nothing, and a container's PID 1 may take its time to
 * reap them. Without /proc, whatever the kernel still knows counts as alive.
 */
export async function groupAlive(pgid: number, procRoot = '/proc'): Promise<boolean> {
  const pids = await listPids(procRoot);
  if (pids === null) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const stats = await Promise.all(pids.map((pid) => readProcStat(pid, procRoot)));
  return stats.some((stat) => stat !== null && stat.pgrp === pgid && stat.state !== 'Z');
}

/** Whether process `pid` is still running (a zombie is not). */
export async function processAlive(pid: number, procRoot = '/proc'): Promise<boolean> {
  const stat = await readProcStat(pid, procRoot);
  if (stat !== null) return stat.state !== 'Z';
  try {
    process.kill(pid, 0);
    return (await listPids(procRoot)) === null;
  } catch {
    return false;
  }
}
