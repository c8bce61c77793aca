import { promises as fs } from 'node:fs';
import { PreprodError, describeError } from '../errors';

export interface LockOptions {
  /** How long to wait for another holder, in ms. */
  timeoutMs: number;
  /** A lock older than this was left by a process that died, in ms. */
  staleMs: number;
  /** What the lock guards, for the error sentence, e.g. "the state file /x/state.json". */
  what: string;
}

/**
 * An exclusive lock file holding the owner's pid (O_EXCL create). A lock whose
 * process is gone, or that is older than `staleMs` (pids get recycled), is
 * taken over, so a killed process never wedges the node. Returns the release.
 */
export async function acquireLock(lockFile: string, options: LockOptions): Promise<() => Promise<void>> {
  const started = Date.now();
  let wait = 5;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx', 0o600);
      try {
        await handle.writeFile(String(process.pid));
      } finally {
        await handle.close();
      }
      return async () => {
        await fs.rm(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new PreprodError('store-unavailable', `Cannot lock ${options.what}: ${describeError(error)}.`, { cause: error });
      }
    }
    if (await lockIsStale(lockFile, options.staleMs)) {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() - started > options.timeoutMs) {
      throw new PreprodError('timeout', `${capitalise(options.what)} stayed locked by another process for ${options.timeoutMs} ms.`);
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
  if (await lockIsStale(lockFile, staleMs)) await fs.rm(lockFile, { force: true });
}

async function lockIsStale(lockFile: string, staleMs: number): Promise<boolean> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockFile, 'utf8'), fs.stat(lockFile)]);
    const age = Date.now() - stat.mtimeMs;
    if (age > staleMs) return true;
    const pid = Number.parseInt(text, 10);
    // Empty: the owner is between create and write; give it a moment.
    if (!Number.isInteger(pid) || pid <= 0) return age > 1000;
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // gone already, or unreadable: just retry
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
