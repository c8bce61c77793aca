/**
 * The one way this package reads a file (docs/design.md §3): the state file, lock files,
 * `--config`, `--targets` and `userconfig.js`. A FIFO would block the read (and the thread
 * pool, so even `process.exit` waits), `/dev/zero` never ends, a huge file costs its size in
 * memory: so the path is checked to be a regular file before it is opened, opened
 * non-blocking (and without following a final symlink when asked), checked again on the
 * open descriptor, and read up to a size cap. Errors carry a short reason, never content.
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  promises as fsp,
  readSync,
  statSync,
  type Stats,
} from 'node:fs';

export interface ReadLimits {
  /** Largest size accepted, in bytes. */
  maxBytes: number;
  /** Follow a symlink at the final path component. Default true; false for files the package owns. */
  followSymlink?: boolean;
}

/** Why a file could not be read: `missing` is often not an error for the caller. */
export type ReadProblem = 'missing' | 'not-regular' | 'too-large' | 'changed' | 'io';

/** A read that failed; `reason` is a short phrase for "Cannot read X: <reason>." and holds no file content. */
export class FileReadError extends Error {
  readonly problem: ReadProblem;
  readonly reason: string;
  readonly code: string | undefined;

  constructor(problem: ReadProblem, reason: string, options: { cause?: unknown; code?: string } = {}) {
    super(reason, { cause: options.cause });
    this.name = 'FileReadError';
    this.problem = problem;
    this.reason = reason;
    this.code = options.code;
  }
}

/** "1 MiB", "64 KiB", "300 bytes". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** What a non-regular file is, for the message; null for a regular file. */
function kindProblem(stats: Stats): string | null {
  if (stats.isFile()) return null;
  if (stats.isDirectory()) return 'it is a directory';
  if (stats.isFIFO()) return 'it is a named pipe (FIFO), not a regular file';
  if (stats.isSymbolicLink()) return 'it is a symbolic link, which is not followed here';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'it is a device, not a regular file';
  if (stats.isSocket()) return 'it is a socket, not a regular file';
  return 'it is not a regular file';
}

const FS_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of it is not a directory',
  ELOOP: 'it is a symbolic link, which is not followed here',
  ENAMETOOLONG: 'its name is too long',
};

/** A FileReadError for a failed fs call, with a reason that never repeats the path. */
export function fsReadError(error: unknown): FileReadError {
  if (error instanceof FileReadError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && FS_REASONS[code]) ?? (typeof code === 'string' ? code : 'it cannot be read');
  return new FileReadError(code === 'ENOENT' ? 'missing' : 'io', reason, { cause: error, code });
}

function checkStats(stats: Stats, limits: ReadLimits): void {
  const problem = kindProblem(stats);
  if (problem) throw new FileReadError('not-regular', problem);
  if (stats.size > limits.maxBytes) throw tooLarge(limits);
}

function sameFile(a: Stats, b: Stats): void {
  // Swapped between the check and the open (a race an attacker can win in a shared directory).
  if (a.ino !== b.ino || a.dev !== b.dev) throw new FileReadError('changed', 'it was replaced while being opened');
}

function openFlags(limits: ReadLimits): number {
  const noFollow = limits.followSymlink === false ? constants.O_NOFOLLOW : 0;
  return constants.O_RDONLY | constants.O_NONBLOCK | noFollow;
}

function tooLarge(limits: ReadLimits): FileReadError {
  return new FileReadError('too-large', `it is larger than ${formatBytes(limits.maxBytes)}`);
}

/** Reads a regular file as UTF-8 text, within `limits`. Throws FileReadError. */
export function readRegularFileSync(file: string, limits: ReadLimits): string {
  let fd: number | undefined;
  try {
    const before = limits.followSymlink === false ? lstatSync(file) : statSync(file);
    checkStats(before, limits);
    fd = openSync(file, openFlags(limits));
    const opened = fstatSync(fd);
    sameFile(before, opened);
    checkStats(opened, limits);
    // One byte more than the cap tells a file that grew after fstat from one that fits.
    const buffer = Buffer.alloc(Math.min(opened.size, limits.maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) throw tooLarge(limits);
      const got = readSync(fd, buffer, length, buffer.length - length, null);
      if (got === 0) break;
      length += got;
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    throw fsReadError(error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The asynchronous twin of readRegularFileSync(). */
export async function readRegularFile(file: string, limits: ReadLimits): Promise<string> {
  let handle: fsp.FileHandle | undefined;
  try {
    const before = limits.followSymlink === false ? await fsp.lstat(file) : await fsp.stat(file);
    checkStats(before, limits);
    handle = await fsp.open(file, openFlags(limits));
    const opened = await handle.stat();
    sameFile(before, opened);
    checkStats(opened, limits);
    const buffer = Buffer.alloc(Math.min(opened.size, limits.maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) throw tooLarge(limits);
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    throw fsReadError(error);
  } finally {
    await handle?.close();
  }
}
