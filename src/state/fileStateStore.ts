import * as path from 'node:path';
import { PreprodError, isPreprodError } from '../errors';
import { checkOwnDirectory, makePrivateDirectory, writeFileAtomic } from '../os/atomicWrite';
import { acquireLock, removeStaleLock } from '../os/lockFile';
import { FileReadError, readRegularFile } from '../os/readFile';
import { fsErrorReason, jsonErrorReason, shownPath } from '../text';
import type { StoredDocument } from '../types';
import type { StateStore } from './stateStore';
import { decodeDocuments, encodeDocuments } from './codec';

/** The state file holds a few records of a few hundred bytes; anything near this is not ours. */
const MAX_STATE_BYTES = 1024 * 1024;

export interface FileStateStoreOptions {
  /** How long to wait for another process's lock on the file, in ms. Default 5000. */
  lockTimeoutMs?: number;
  /** A lock older than this is taken to be left by a dead process, in ms. Default 30000. */
  staleLockMs?: number;
  /** Fault injection for tests: runs after the temp file is written and synced, before the rename. */
  beforeRename?: (tempFile: string) => Promise<void> | void;
}

// Writers in one process queue behind each other per file, whatever the
// number of store objects, so read-modify-write never interleaves.
const queues = new Map<string, Promise<unknown>>();

function enqueue<T>(file: string, job: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  const run = previous.then(job, job);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(file, settled);
  void settled.then(() => {
    if (queues.get(file) === settled) queues.delete(file);
  });
  return run;
}

/**
 * The embedded state store (docs/design.md §3): one JSON object keyed by `key`, replaced by
 * the one atomic writer, so a crash at any moment leaves the old or the new whole file.
 * Other processes are kept out by an exclusive lock file beside it. The directory must be
 * this user's and not writable by others (or sticky); the file is read without following a
 * symlink, only if it is a regular file of at most 1 MiB, and errors never show its content.
 */
export class FileStateStore implements StateStore {
  readonly file: string;
  readonly description: string;
  private readonly lockFile: string;
  private readonly options: Required<Omit<FileStateStoreOptions, 'beforeRename'>> &
    Pick<FileStateStoreOptions, 'beforeRename'>;

  constructor(file: string, options: FileStateStoreOptions = {}) {
    this.file = path.resolve(file);
    this.lockFile = `${this.file}.lock`;
    this.description = `file:${this.file}`;
    this.options = {
      lockTimeoutMs: options.lockTimeoutMs ?? 5000,
      staleLockMs: options.staleLockMs ?? 30000,
      beforeRename: options.beforeRename,
    };
  }

  async get(key: string): Promise<StoredDocument | null> {
    if (!(await this.checkDirectory())) return null;
    // A boot that only reads must still clear the lock of a writer that was killed.
    await removeStaleLock(this.lockFile, this.options.staleLockMs);
    return this.peek(key);
  }

  /** get() without clearing a dead writer's lock: for `status`, which never writes. */
  async peek(key: string): Promise<StoredDocument | null> {
    const documents = await this.readAll();
    const found = Object.prototype.hasOwnProperty.call(documents, key) ? documents[key] : undefined;
    if (found === undefined || found === null || typeof found !== 'object') return null;
    return { ...found, key };
  }

  async set(key: string, value: StoredDocument): Promise<void> {
    await this.update((documents) => {
      documents[key] = { ...value, key };
      return true;
    });
  }

  async delete(key: string): Promise<void> {
    await this.update((documents) => {
      if (!Object.prototype.hasOwnProperty.call(documents, key)) return false;
      delete documents[key];
      return true;
    });
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  /** Reads every document; a missing file is an empty store. */
  async readAll(): Promise<Record<string, StoredDocument>> {
    let text: string;
    try {
      text = await readRegularFile(this.file, { maxBytes: MAX_STATE_BYTES, followSymlink: false });
    } catch (error) {
      if (error instanceof FileReadError && error.problem === 'missing') return Object.create(null);
      const reason = error instanceof FileReadError ? error.reason : fsErrorReason(error);
      const message = `Cannot read the state file ${shownPath(this.file)}: ${reason}.`;
      throw new PreprodError('store-unavailable', message, { cause: error });
    }
    try {
      return Object.assign(Object.create(null), decodeDocuments(text));
    } catch (error) {
      const reason = error instanceof SyntaxError ? jsonErrorReason(error, text) : (error as Error).message;
      throw new PreprodError(
        'store-corrupt',
        `The state file ${shownPath(this.file)} is not valid (${reason}); it was left as it is for inspection.`,
        { cause: error },
      );
    }
  }

  /**
   * Refuses a directory others may write to (docs/design.md §3). False when it does not
   * exist yet (nothing stored); throws store-unavailable with one sentence when unsafe.
   */
  private async checkDirectory(): Promise<boolean> {
    let refusal: string | null;
    try {
      refusal = await checkOwnDirectory(path.dirname(this.file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new PreprodError(
        'store-unavailable',
        `Cannot use the state directory ${shownPath(path.dirname(this.file))}: ${fsErrorReason(error)}.`,
        { cause: error },
      );
    }
    if (refusal !== null) throw new PreprodError('store-unavailable', refusal);
    return true;
  }

  private update(change: (documents: Record<string, StoredDocument>) => boolean): Promise<void> {
    return enqueue(this.file, async () => {
      try {
        await makePrivateDirectory(path.dirname(this.file));
      } catch (error) {
        throw this.cannotWrite(error);
      }
      await this.checkDirectory();
      const release = await this.lock();
      try {
        const documents = await this.readAll();
        if (change(documents)) await this.replace(encodeDocuments(documents));
      } finally {
        await release();
      }
    });
  }

  private async replace(content: string): Promise<void> {
    try {
      await writeFileAtomic(this.file, content, { beforeRename: this.options.beforeRename });
    } catch (error) {
      throw this.cannotWrite(error);
    }
  }

  private cannotWrite(error: unknown): PreprodError {
    const message = `Cannot write the state file ${shownPath(this.file)}: ${fsErrorReason(error)}.`;
    return new PreprodError('store-unavailable', message, { cause: error });
  }

  /** Takes the cross-process lock; returns its release. */
  private async lock(): Promise<() => Promise<void>> {
    try {
      return await acquireLock(this.lockFile, {
        timeoutMs: this.options.lockTimeoutMs,
        staleMs: this.options.staleLockMs,
        what: `the state file ${this.file}`,
      });
    } catch (error) {
      if (isPreprodError(error, 'timeout')) {
        throw new PreprodError('store-unavailable', error.message, { cause: error });
      }
      throw error;
    }
  }
}
