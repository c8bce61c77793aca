/**
 * The one atomic writer (docs/design.md §3): a crash at any moment leaves the old or the
 * new whole file, and nobody who can write to the directory can redirect the write. The
 * temp file has a random name and is created O_CREAT|O_EXCL|O_NOFOLLOW with mode 0600, so a
 * symlink or file planted in advance makes the open fail instead of clobbering its target;
 * it is fsynced, renamed over the file, and the directory is fsynced.
 * Also the checks of the directories the package keeps its own files in.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { shownPath } from '../text';

export interface AtomicWriteOptions {
  /** Mode of the new file. Default 0600: the package's files are its own. */
  mode?: number;
  /** Fault injection for tests: runs after the temp file is written and synced, before the rename. */
  beforeRename?: (tempFile: string) => Promise<void> | void;
}

/** The sticky bit (S_ISVTX), which node's fs.constants leaves out. */
const STICKY = 0o1000;

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** `.state.json.3f9a…e1.tmp` beside `state.json`: 128 random bits, nothing to predict. */
function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(16).toString('hex')}.tmp`);
}

/**
 * Replaces `file` with `content` atomically. Throws the file system's error (the caller
 * words the sentence); the temp file is removed on failure.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const mode = options.mode ?? 0o600;
  const temp = tempName(file);
  let created = false;
  try {
    const handle = await fs.open(temp, CREATE_FLAGS, mode);
    created = true;
    try {
      // The umask may only remove bits; a fchmod makes the mode exact whatever it is.
      await handle.chmod(mode);
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.beforeRename) await options.beforeRename(temp);
    await fs.rename(temp, file);
  } catch (error) {
    if (created) await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/** fsync of a directory, so a rename in it survives a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}

/** Creates `dir` and its missing parents with mode 0700 (never the umask's choice). */
export async function makePrivateDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      await fs.lstat(current);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(current) === current) throw error;
      missing.unshift(current);
    }
  }
  for (const each of missing) {
    try {
      await fs.mkdir(each, 0o700);
      await fs.chmod(each, 0o700);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Why a directory is not safe to keep this process's own files in, or null when it is:
 * it must be owned by this user (or root) and not writable by group or others, unless it
 * is sticky like /tmp, where the random exclusive names above keep writes safe.
 * Pure: takes the directory's stat and this process's user id.
 */
export function unsafeDirectoryReason(stats: Stats, uid: number): string | null {
  if (!stats.isDirectory()) return 'it is not a directory';
  const sticky = (stats.mode & STICKY) !== 0;
  if (sticky) return null;
  if (stats.uid !== uid && stats.uid !== 0) return `it is owned by another user (uid ${stats.uid})`;
  const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
  if ((stats.mode & 0o022) !== 0) return `group or others may write to it (mode ${mode})`;
  return null;
}

/** One sentence refusing `dir`, or null when it is safe (see unsafeDirectoryReason). */
export async function checkOwnDirectory(dir: string): Promise<string | null> {
  // stat, not lstat: an operator may link the state directory elsewhere; the target is what is checked.
  const stats = await fs.stat(dir);
  const reason = unsafeDirectoryReason(stats, typeof process.geteuid === 'function' ? process.geteuid() : stats.uid);
  if (reason === null) return null;
  const fix = 'use a directory only this user can write (chmod go-w, or chown), or a sticky one like /tmp';
  return `Refusing the state directory ${shownPath(dir)}: ${reason}; ${fix}.`;
}
