import { constants, promises as fs } from 'node:fs';
import { PreprodError, describeError } from '../errors';
import { shownPath } from '../text';
import { formatIdentity, holderIsRunning, ownIdentity, parseIdentity } from './processIdentity';
import { FileReadError, readRegularFile } from './readFile';

/** A lock file holds a pid and a few fields; anything larger was not written by us. */
const MAX_LOCK_BYTES = 4096;
// O_EXCL already refuses an existing symlink; O_NOFOLLOW says so where it is read.
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface LockOptions {
  /** How long to wait for another holder, in ms. */
  timeoutMs: number;
  /** A lock older than this was left by a process that died, in ms. */
  staleMs: number;
  /** What the lock guards, for the error sentence, e.g. "the state file /x/state.json". */
  what: string;
}

/**
 * An exclusive lock file (O_EXCL create) naming its holder by PID, process start time and
 * boot id. A lock whose process is gone, whose PID now belongs to a process that started
 * later (containers reuse PIDs: FluxOS may be PID 1 on every start), that was written
 * before a reboot, or that is older than `staleMs`, is taken over, so a killed process
 * never wedges the node. Returns the release.
 */
export async function acquireLock(lockFile: string, options: LockOptions): Promise<() => Promise<void>> {
  const started = Date.now();
  let wait = 5;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, CREATE_FLAGS, 0o600);
      try {
        await handle.writeFile(formatIdentity(ownIdentity()));
      } finally {
        await handle.close();
      }
      return async () => {
        await fs.rm(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        const message = `Cannot lock ${options.what}: ${describeError(error)}.`;
        throw new PreprodError('store-unavailable', message, { cause: error });
      }
    }
    const state = await lockState(lockFile, options.staleMs);
    if (state === 'stale') {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (typeof state === 'object') {
      throw new PreprodError(
        'store-unavailable',
        `Cannot lock ${options.what}: the lock file ${shownPath(lockFile)} is not one of ours ` +
          `(${state.foreign}); remove it.`,
      );
    }
    if (Date.now() - started > options.timeoutMs) {
      const what = capitalise(options.what);
      throw new PreprodError('timeout', `${what} stayed locked by another process for ${options.timeoutMs} ms.`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 100);
  }
}

/**
 * Removes the lock if its process is gone (or it is older than staleMs), the
 * same takeover rule acquireLock() applies. For readers that never take the
 * lock, so a writer killed mid-write leaves nothing behind once anyone reads.
 */
export async function removeStaleLock(lockFile: string, staleMs: number): Promise<void> {
  if ((await lockState(lockFile, staleMs)) === 'stale') await fs.rm(lockFile, { force: true });
}

/**
 * `held`, `stale` (its process is gone, or it is older than staleMs), or `{ foreign }` for
 * something that is not a lock this package wrote (a FIFO, a symlink, a huge file), which is
 * never read and never removed.
 */
async function lockState(lockFile: string, staleMs: number): Promise<'held' | 'stale' | { foreign: string }> {
  let text: string;
  let mtimeMs: number;
  try {
    const stat = await fs.lstat(lockFile);
    mtimeMs = stat.mtimeMs;
    text = await readRegularFile(lockFile, { maxBytes: MAX_LOCK_BYTES, followSymlink: false });
  } catch (error) {
    if (error instanceof FileReadError && (error.problem === 'not-regular' || error.problem === 'too-large')) {
      return { foreign: error.reason };
    }
    return 'held'; // gone already, or unreadable: just retry
  }
  const age = Date.now() - mtimeMs;
  if (age > staleMs) return 'stale';
  const holder = parseIdentity(text);
  // Empty or unreadable: the owner is between create and write; give it a moment.
  if (holder === null) return age > 1000 ? 'stale' : 'held';
  return holderIsRunning(holder, isAlive) ? 'held' : 'stale';
}

/** kill(pid, 0): ESRCH means no such process; EPERM means one runs that we may not signal. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
