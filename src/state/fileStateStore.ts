import { promises as fs, constants as fsConstants } from 'node:fs';
import * as path from 'node:path';
import { fsErrorReason, shownPath } from '../config/settings';
import { PreprodError, describeError, isPreprodError } from '../errors';
import { acquireLock, removeStaleLock } from '../os/lockFile';
import type { StoredDocument } from '../types';
import type { StateStore } from './stateStore';
import { decodeDocuments, encodeDocuments } from './codec';

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

let tempCounter = 0;

/**
 * The embedded state store: one JSON object keyed by `key`, replaced
 * atomically (temp file, fsync, rename, fsync of the directory), so a crash at
 * any moment leaves the old or the new whole file. Other processes are kept
 * out by an exclusive lock file beside it.
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
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null);
      throw new PreprodError('store-unavailable', `Cannot read the state file ${shownPath(this.file)}: ${fsErrorReason(error)}.`, {
        cause: error,
      });
    }
    try {
      const documents = decodeDocuments(text);
      return Object.assign(Object.create(null), documents);
    } catch (error) {
      throw new PreprodError(
        'store-corrupt',
        `The state file ${shownPath(this.file)} is not valid (${describeError(error)}); it was left as it is for inspection.`,
        { cause: error },
      );
    }
  }

  private update(change: (documents: Record<string, StoredDocument>) => boolean): Promise<void> {
    return enqueue(this.file, async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
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
    const temp = `${this.file}.${process.pid}.${++tempCounter}.tmp`;
    try {
      const handle = await fs.open(temp, 'w', 0o600);
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (this.options.beforeRename) await this.options.beforeRename(temp);
      await fs.rename(temp, this.file);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw new PreprodError('store-unavailable', `Cannot write the state file ${shownPath(this.file)}: ${fsErrorReason(error)}.`, {
        cause: error,
      });
    }
    await syncDirectory(path.dirname(this.file));
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
      if (isPreprodError(error, 'timeout')) throw new PreprodError('store-unavailable', error.message, { cause: error });
      throw error;
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await fs.open(dir, fsConstants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
