/**
 * One boot at a time per checkout (docs/design.md §9): a lock file in the git
 * dir, so two boots on one node make one decision and one record.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isPreprodError } from '../errors';
import type { Logger } from '../logger';
import { acquireLock } from '../os/lockFile';

export const BOOT_LOCK_FILE = 'fluxos-preprod.lock';
/** A boot lock older than this was left by a boot that died; a live boot ends long before. */
const STALE_BOOT_LOCK_MS = 15 * 60 * 1000;

/** Takes the boot lock of `repoDir`, waiting up to `timeoutMs`; resolves with its release. */
export async function lockBoot(repoDir: string, timeoutMs: number, logger: Logger): Promise<() => Promise<void>> {
  const gitDir = path.join(repoDir, '.git');
  if (!existsSync(gitDir) || !statSync(gitDir).isDirectory()) return async () => undefined;
  try {
    return await acquireLock(path.join(gitDir, BOOT_LOCK_FILE), {
      timeoutMs,
      staleMs: STALE_BOOT_LOCK_MS,
      what: `the boot step of ${repoDir}`,
    });
  } catch (error) {
    // A git dir nobody can write to (read-only file system): git cannot change anything there
    // either, so there is nothing to serialise, and the first git write reports the real cause.
    const code = (error as { cause?: NodeJS.ErrnoException }).cause?.code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      logger.debug(`no boot lock: ${gitDir} is not writable (${code})`);
      return async () => undefined;
    }
    if (isPreprodError(error)) logger.warn(error.message);
    throw error;
  }
}

/** The release, callable any number of times; the lock goes on the first call. */
export function releaseOnce(release: () => Promise<void>): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await release();
  };
}
