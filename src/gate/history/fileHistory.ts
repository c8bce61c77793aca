/**
 * The embedded history: one append-only file (format in historyCodec.ts).
 * Writers take a lock file beside it, cut off a torn last line left by a
 * writer that was killed, append one line in one write and fsync it. Readers
 * take no lock: a line still being written reads as torn and is ignored.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PreprodError, describeError } from '../../errors';
import { shownPath } from '../../config/settings';
import { acquireLock } from '../../os/lockFile';
import { encodeLine, headerLine, HistoryDecoder, HistoryFormatError, type DecodedHistory } from './historyCodec';
import { checkFollows, type HistoryStore, type HistoryTail, type ReadOptions } from './history';
import { NodeTable, type ScanRecord } from './scanRecord';

const CHUNK_BYTES = 1 << 20;
/**
 * The history is opened without following a symlink (a link planted where
 * the history is expected must not make the recorder write, or the gate read,
 * someone else's file) and without blocking (a FIFO would hang the reader);
 * what opens is then checked to be a regular file.
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE_FLAGS = constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** A writer holds the lock for one read and one append; ten minutes means it died. */
const LOCK_STALE_MS = 10 * 60_000;
const LOCK_TIMEOUT_MS = 60_000;

/** What the last append left, so the next one in the same process need not replay the file. */
interface Cached {
  size: number;
  ino: number;
  tail: HistoryTail;
}

export class FileHistory implements HistoryStore {
  readonly description: string;
  private cached: Cached | null = null;

  constructor(readonly file: string) {
    this.description = `history file ${shownPath(file)}`;
  }

  async read(options: ReadOptions = {}): Promise<ScanRecord[]> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, READ_FLAGS);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.unavailable('read', error);
    }
    try {
      await this.checkRegular(handle, 'read');
      return (await this.decode(handle, options)).scans;
    } finally {
      await handle.close();
    }
  }

  async append(build: (tail: HistoryTail) => ScanRecord): Promise<ScanRecord> {
    let release: () => Promise<void>;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      release = await acquireLock(`${this.file}.lock`, {
        timeoutMs: LOCK_TIMEOUT_MS,
        staleMs: LOCK_STALE_MS,
        what: this.description,
      });
    } catch (error) {
      throw this.unavailable('lock', error);
    }
    try {
      return await this.appendLocked(build);
    } finally {
      await release();
    }
  }

  async close(): Promise<void> {
    this.cached = null;
  }

  private async appendLocked(build: (tail: HistoryTail) => ScanRecord): Promise<ScanRecord> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, WRITE_FLAGS, 0o600);
    } catch (error) {
      throw this.unavailable('open', error);
    }
    try {
      const stat = await this.checkRegular(handle, 'write');
      const cached =
        this.cached !== null && this.cached.size === stat.size && this.cached.ino === stat.ino ? this.cached : null;
      let tail: HistoryTail;
      let validBytes: number;
      if (cached !== null) {
        tail = cached.tail;
        validBytes = cached.size;
      } else {
        const decoded = await this.decode(handle, {});
        tail = tailOf(decoded.scans);
        validBytes = decoded.validBytes;
      }
      const record = build(tail);
      checkFollows(tail, record);
      const bytes = Buffer.from((validBytes === 0 ? headerLine() : '') + encodeLine(record));
      await this.writeAt(handle, stat.size, validBytes, bytes);
      tail.table.apply(record);
      this.cached = {
        size: validBytes + bytes.length,
        ino: stat.ino,
        tail: { seq: record.seq, at: record.at, table: tail.table },
      };
      return record;
    } finally {
      await handle.close();
    }
  }

  /** Cuts off a torn tail, writes the line where the valid part ends, and makes it durable before returning. */
  private async writeAt(handle: fs.FileHandle, size: number, validBytes: number, bytes: Buffer): Promise<void> {
    try {
      if (size !== validBytes) await handle.truncate(validBytes);
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, validBytes + written);
        written += bytesWritten;
      }
      await handle.sync();
      if (validBytes === 0) await syncDirectory(path.dirname(this.file));
    } catch (error) {
      this.cached = null;
      throw this.unavailable('write', error);
    }
  }

  private async decode(handle: fs.FileHandle, options: ReadOptions): Promise<DecodedHistory> {
    const decoder = new HistoryDecoder();
    try {
      const total = (await handle.stat()).size;
      const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(total, 1)));
      let position = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        // The decoder keeps slices of a chunk it has not finished: hand it a copy.
        decoder.feed(Buffer.from(buffer.subarray(0, bytesRead)));
        position += bytesRead;
        options.onProgress?.(Math.min(position, total), total);
      }
      return decoder.end();
    } catch (error) {
      if (error instanceof HistoryFormatError) {
        throw new PreprodError('store-corrupt', `Cannot read the ${this.description}: ${error.message}.`, {
          cause: error,
        });
      }
      throw this.unavailable('read', error);
    }
  }

  private async checkRegular(handle: fs.FileHandle, action: string): Promise<import('node:fs').Stats> {
    let stat: import('node:fs').Stats;
    try {
      stat = await handle.stat();
    } catch (error) {
      throw this.unavailable(action, error);
    }
    if (!stat.isFile())
      throw new PreprodError(
        'store-unavailable',
        `Cannot ${action} the ${this.description}: it is not a regular file.`,
      );
    return stat;
  }

  private unavailable(action: string, error: unknown): PreprodError {
    if (error instanceof PreprodError) return error;
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      return new PreprodError(
        'store-unavailable',
        `Cannot ${action} the ${this.description}: it is a symbolic link, which is never followed.`,
      );
    return new PreprodError('store-unavailable', `Cannot ${action} the ${this.description}: ${describeError(error)}.`, {
      cause: error,
    });
  }
}

/** The tail after `scans`: the latest scan and every node's state, replayed. */
export function tailOf(scans: readonly ScanRecord[]): HistoryTail {
  const table = new NodeTable();
  for (const scan of scans) table.apply(scan);
  const last = scans.length > 0 ? scans[scans.length - 1] : null;
  return { seq: last?.seq ?? 0, at: last?.at ?? null, table };
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
