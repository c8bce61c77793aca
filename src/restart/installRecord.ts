/**
 * One dependency install at a time in a checkout (docs/design.md §4, §5): every install the package starts
 * (inline under `exit` and `none`, detached under nodemon) writes `.git/fluxos-preprod-install.json`
 * with its process group and the time it must be over by, and removes it when it ends. An install left
 * running by a boot that was killed (SIGKILL does not reach its group, which runs apart) is found there:
 * the next install, and the next restart onto new code, wait for it until its time is up, then stop it.
 * The guard at the top of FluxOS's app.js reads the same file and waits before FluxOS requires anything;
 * while it waits it notes its pid in `.git/fluxos-preprod-install-waiter.json`, so the detached install
 * knows a start is already waiting for it and does not restart nodemon a second time.
 */
import { readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { groupAlive, readCwd } from '../os/procfs';
import { delay, killGroup } from '../os/spawnGroup';

export const INSTALL_RECORD_FILE = 'fluxos-preprod-install.json';
export const INSTALL_WAITER_FILE = 'fluxos-preprod-install-waiter.json';
const POLL_MS = 200;
const STOP_GRACE_MS = 2000;

export interface InstallRecord {
  /** The install's process group (its leader's pid). */
  pid: number;
  startedAt: Date;
  /** Its deadline: after this it is stopped. */
  until: Date;
}

function gitDirOf(dir: string): string | null {
  const gitDir = path.join(dir, '.git');
  return statSync(gitDir, { throwIfNoEntry: false })?.isDirectory() ? gitDir : null;
}

/** Parses the record; null for anything unreadable. Pure. */
export function parseInstallRecord(text: string): InstallRecord | null {
  try {
    const raw = JSON.parse(text) as { pid?: unknown; startedAt?: unknown; until?: unknown };
    const startedAt = new Date(String(raw.startedAt));
    const until = new Date(String(raw.until));
    if (!Number.isSafeInteger(raw.pid) || (raw.pid as number) <= 1) return null;
    if (Number.isNaN(startedAt.getTime()) || Number.isNaN(until.getTime())) return null;
    return { pid: raw.pid as number, startedAt, until };
  } catch {
    return null;
  }
}

export function readInstallRecord(dir: string): InstallRecord | null {
  const gitDir = gitDirOf(dir);
  if (gitDir === null) return null;
  try {
    return parseInstallRecord(readFileSync(path.join(gitDir, INSTALL_RECORD_FILE), 'utf8'));
  } catch {
    return null;
  }
}

export function writeInstallRecord(dir: string, record: InstallRecord): void {
  const gitDir = gitDirOf(dir);
  if (gitDir === null) return;
  const text = `${JSON.stringify({ pid: record.pid, startedAt: record.startedAt, until: record.until })}\n`;
  try {
    writeFileSync(path.join(gitDir, INSTALL_RECORD_FILE), text, { mode: 0o600 });
  } catch {
    // the install runs anyway; only a concurrent boot would not see it
  }
}

/** Removes the record of the install in group `pid`, and only that one. */
export function removeInstallRecord(dir: string, pid: number): void {
  const gitDir = gitDirOf(dir);
  if (gitDir === null || readInstallRecord(dir)?.pid !== pid) return;
  rmSync(path.join(gitDir, INSTALL_RECORD_FILE), { force: true });
}

/** Whether a FluxOS start waits in the guard for the install of group `pid` (it then starts on its own). */
export function startWaitsForInstall(dir: string, pid: number): boolean {
  const gitDir = gitDirOf(dir);
  if (gitDir === null) return false;
  try {
    const waiter = JSON.parse(readFileSync(path.join(gitDir, INSTALL_WAITER_FILE), 'utf8')) as Record<string, unknown>;
    if (waiter.install !== pid || !Number.isSafeInteger(waiter.pid)) return false;
    process.kill(waiter.pid as number, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether process `pid` still works in checkout `dir` (an install's leader does; a reused pid does not). */
async function runsIn(pid: number, dir: string): Promise<boolean> {
  try {
    return (await readCwd(pid)) === realpathSync(dir);
  } catch {
    return false;
  }
}

/**
 * Waits for an install found running in `dir` (another boot's, left by a kill) until its own deadline,
 * then stops its group. Resolves with what it found: nothing, an install that ended, or one it stopped.
 */
export async function settleRunningInstall(
  dir: string,
  say: (line: string) => void,
): Promise<'none' | 'ended' | 'stopped'> {
  const record = readInstallRecord(dir);
  if (record === null || record.pid === process.pid || !(await groupAlive(record.pid))) return 'none';
  say(`an install started at ${record.startedAt.toISOString()} still runs (group ${record.pid}): waiting for it`);
  while (Date.now() < record.until.getTime()) {
    if (!(await groupAlive(record.pid))) return 'ended';
    await delay(POLL_MS);
  }
  // A record left from before a reboot may name a process id reused since: only our install is stopped.
  if (!(await runsIn(record.pid, dir))) return 'none';
  say(`the install of group ${record.pid} ran past its deadline: stopping it`);
  killGroup(record.pid, 'SIGTERM');
  await delay(STOP_GRACE_MS);
  killGroup(record.pid, 'SIGKILL');
  rmSync(path.join(dir, '.git', INSTALL_RECORD_FILE), { force: true });
  return 'stopped';
}
