import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PreprodError } from '../errors';
import type { Logger } from '../logger';
import { listPids, readCmdline, readCwd, readProcStat } from '../os/procfs';
import { delay } from '../os/spawnGroup';

/**
 * Lock files a killed git leaves behind (docs/design.md §4). A git killed
 * while holding one (the host killed, SIGXFSZ on a full disk) makes every
 * later command needing it fail with "File exists", boot after boot; one held
 * by a git that is still running must be left alone.
 */

/** Lock files in the git dir that the commands of a switch take, besides refs/**\/*.lock. */
export const GIT_DIR_LOCKS = [
  'index.lock',
  'HEAD.lock',
  'config.lock',
  'packed-refs.lock',
  'shallow.lock',
  'ORIG_HEAD.lock',
  'FETCH_HEAD.lock',
];
/** The subset a fetch takes: it must not refuse to run over an index.lock it never needs. */
export const FETCH_LOCKS = ['packed-refs.lock', 'shallow.lock', 'FETCH_HEAD.lock'];

/** Without /proc there is no way to see running git processes, so only a much older lock counts as stale. */
const STALE_LOCK_AGE_WITHOUT_PROC_MS = 10 * 60 * 1000;
const POLL_MS = 50;

export interface StaleLockOptions {
  gitDir: string;
  /** The work tree's real path. */
  workTree: string;
  /** Lock file names in the git dir to look for; refs/**\/*.lock are always looked for. */
  names: readonly string[];
  /** How old a lock must be, while no git runs here, before it is removed. */
  minAgeMs: number;
  /**
   * How long to wait for git processes that work in this repository to end
   * (a git left running by a boot that was killed with SIGKILL alone holds
   * its lock until it is done). 0: do not wait.
   */
  waitForGitMs: number;
  logger: Logger;
}

/**
 * Remove the lock files a killed git left, only when both hold:
 * - no git process works in this repository (gitProcessesIn), after waiting
 *   up to waitForGitMs for those that do;
 * - the lock is at least minAgeMs old.
 * Without /proc only an age guard applies, of 10 minutes.
 * A lock that stays throws git-failed: the checkout is left as it is.
 */
export async function recoverStaleLocks(options: StaleLockOptions): Promise<void> {
  const { gitDir, logger } = options;
  if ((await existingLocks(gitDir, options.names)).length === 0) return;
  const busy = await waitForGitToEnd(options);
  // The gits we waited for may have taken their locks with them.
  const found = await existingLocks(gitDir, options.names);
  if (found.length === 0) return;
  if (busy !== null && busy.length > 0) {
    const pids = busy.join(', ');
    throw new PreprodError(
      'git-failed',
      `${found[0].lockPath} is held by a running git process (pid ${pids}); the checkout is left as it is.`,
    );
  }
  const minAge = busy === null ? STALE_LOCK_AGE_WITHOUT_PROC_MS : options.minAgeMs;
  for (const { lockPath, mtimeMs } of found) {
    const ageMs = Date.now() - mtimeMs;
    if (ageMs < minAge) {
      const age = Math.round(ageMs / 1000);
      throw new PreprodError(
        'git-failed',
        `${lockPath} is only ${age} s old and may belong to a git process that is still running; ` +
          'the checkout is left as it is.',
      );
    }
    await fs.rm(lockPath, { force: true });
    logger.warn(`Removed ${lockPath}, left by a git process that died ${Math.round(ageMs / 1000)} s ago.`);
  }
}

/** Pids of the git processes still working here after waiting up to waitForGitMs; null without /proc. */
async function waitForGitToEnd(options: StaleLockOptions): Promise<number[] | null> {
  const dirs = [options.workTree, options.gitDir];
  const deadline = Date.now() + options.waitForGitMs;
  let busy = await gitProcessesIn(dirs);
  if (busy !== null && busy.length > 0 && options.waitForGitMs > 0) {
    const pids = busy.join(', ');
    const where = options.workTree;
    options.logger.info(`Waiting up to ${options.waitForGitMs} ms for git ${pids} working in ${where} to end.`);
    while (busy !== null && busy.length > 0 && Date.now() < deadline) {
      await delay(POLL_MS);
      busy = await gitProcessesIn(dirs);
    }
  }
  return busy;
}

interface FoundLock {
  lockPath: string;
  mtimeMs: number;
}

async function existingLocks(gitDir: string, names: readonly string[]): Promise<FoundLock[]> {
  const refLocks = await lockFilesUnder(path.join(gitDir, 'refs'));
  const candidates = [...names.map((name) => path.join(gitDir, name)), ...refLocks];
  const found: FoundLock[] = [];
  for (const lockPath of candidates) {
    try {
      found.push({ lockPath, mtimeMs: (await fs.stat(lockPath)).mtimeMs });
    } catch {
      // Not there: the usual case.
    }
  }
  return found;
}

/** Every `*.lock` file below `dir` (absolute paths); none when `dir` does not exist. */
async function lockFilesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await lockFilesUnder(full)));
    else if (entry.name.endsWith('.lock')) found.push(full);
  }
  return found;
}

function isInside(candidate: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => candidate === dir || candidate.startsWith(`${dir}/`));
}

const isGitName = (name: string): boolean => name === 'git' || name.startsWith('git-');

/** Whether the argv of a process started in `cwd` points git at one of `dirs` (-C, --git-dir, --work-tree). */
export function argvPointsInto(argv: readonly string[], cwd: string, dirs: readonly string[]): boolean {
  for (let i = 1; i < argv.length; i += 1) {
    const arg = argv[i];
    let target: string | undefined;
    if (arg === '-C' || arg === '--git-dir' || arg === '--work-tree') target = argv[i + 1];
    else if (arg.startsWith('--git-dir=') || arg.startsWith('--work-tree=')) target = arg.slice(arg.indexOf('=') + 1);
    if (target !== undefined && isInside(path.resolve(cwd, target), dirs)) return true;
  }
  return false;
}

/** Whether process `pid` is a git working in one of `dirs`; a git whose cwd cannot be read counts as working here. */
async function isGitWorkingIn(pid: number, dirs: readonly string[]): Promise<boolean> {
  let argv: string[];
  let comm: string;
  try {
    const stat = await readProcStat(pid);
    // A zombie runs nothing and holds no lock.
    if (stat === null || stat.state === 'Z') return false;
    comm = stat.comm;
    argv = await readCmdline(pid);
  } catch {
    return false;
  }
  if (!isGitName(comm) && !(argv[0] !== undefined && isGitName(path.basename(argv[0])))) return false;
  let cwd: string;
  try {
    cwd = await readCwd(pid);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Gone meanwhile: not running. Not ours to inspect: it might be working here.
    return !(code === 'ENOENT' || code === 'ESRCH');
  }
  return isInside(cwd, dirs) || argvPointsInto(argv, cwd, dirs);
}

/**
 * Pids of git processes working in one of `dirs` (real paths): processes
 * named git or git-*, whose cwd is inside one of them or whose -C /
 * --git-dir / --work-tree argument points there. Null when /proc cannot be
 * read (not Linux).
 */
export async function gitProcessesIn(dirs: string[]): Promise<number[] | null> {
  const pids = await listPids();
  if (pids === null) return null;
  const candidates = pids.filter((pid) => pid !== process.pid);
  const working = await Promise.all(candidates.map(async (pid) => ((await isGitWorkingIn(pid, dirs)) ? pid : null)));
  return working.filter((pid): pid is number => pid !== null);
}
