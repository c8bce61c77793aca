import type { Collection, Db, MongoClient } from 'mongodb';
import { PreprodError, describeError } from '../errors';
import { connectMongo } from './mongoConnect';
import { safeLogger, type Logger } from '../logger';
import type { StoredDocument } from '../types';
import type { StateStore } from './stateStore';

export interface MongoStateStoreOptions {
  /** Collection name. Default 'state'. */
  collection?: string;
  /** Attempts of an upsert that lost a race on the unique index. Default 5. */
  duplicateKeyRetries?: number;
  /** Told when documents that blocked the unique index are moved aside. */
  logger?: Partial<Logger>;
}

/** Where documents whose key another, newer document holds are moved (never deleted). */
export const DUPLICATES_COLLECTION = 'state_duplicates';

export interface MongoConnectOptions extends MongoStateStoreOptions {
  /** Database name when the URL names none. Default 'zelfluxlocal'. */
  dbName?: string;
  /** How long to look for a server before giving up, in ms. Default 3000. */
  serverSelectionTimeoutMS?: number;
}

export const DEFAULT_DB_NAME = 'zelfluxlocal';
const DUPLICATE_KEY = 11000;

/**
 * The state store on MongoDB: collection `state` with a unique index on `key`,
 * created and awaited before the first write. Works on a `Db` handed over
 * by the host (FluxOS's own driver, 6.x or 7.x) or on its own connection.
 */
export class MongoStateStore implements StateStore {
  readonly description: string;
  private readonly collection: Collection;
  private readonly retries: number;
  private readonly ownedClient: MongoClient | null;
  private readonly duplicates: Collection;
  private readonly logger: Logger;
  private indexReady: Promise<void> | null = null;

  constructor(
    db: Db,
    options: MongoStateStoreOptions = {},
    ownedClient: MongoClient | null = null,
    description?: string,
  ) {
    const name = options.collection ?? 'state';
    this.collection = db.collection(name);
    this.duplicates = db.collection(name === 'state' ? DUPLICATES_COLLECTION : `${name}_duplicates`);
    this.logger = safeLogger(options.logger);
    this.retries = options.duplicateKeyRetries ?? 5;
    this.ownedClient = ownedClient;
    this.description = description ?? `mongodb database ${db.databaseName}, collection ${name}`;
  }

  /** Connects to `url` (mongodb://host:port[/db]) and returns a store that closes its client on close(). */
  static async connect(url: string, options: MongoConnectOptions = {}): Promise<MongoStateStore> {
    const { client, db, shown } = await connectMongo(url, {
      timeoutMs: options.serverSelectionTimeoutMS ?? 3000,
      socketFactor: 3,
      defaultDb: DEFAULT_DB_NAME,
      dbName: options.dbName,
      exampleUrl: 'mongodb://127.0.0.1:27017/zelfluxlocal',
    });
    return new MongoStateStore(db, options, client, shown);
  }

  // Reads do not create the index: `status` must never write, and an absent
  // collection reads as empty anyway. Every write waits for the index first.
  async get(key: string): Promise<StoredDocument | null> {
    // The newest, should documents that predate the unique index share the key (the one a write keeps).
    const found = await this.run('read', () => this.collection.findOne({ key }, { sort: { _id: -1 } }));
    if (!found) return null;
    const { _id: id, ...rest } = found as Record<string, unknown>;
    const document: StoredDocument = { ...rest, key };
    // The seed dated its records by their ObjectId, so expose that time.
    const time = objectIdTime(id);
    if (time) document._idTime = time;
    return document;
  }

  async set(key: string, value: StoredDocument): Promise<void> {
    await this.ensureIndex();
    const { _id: _ignored, _idTime: _alsoIgnored, ...fields } = value;
    const replacement = { ...fields, key };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.collection.replaceOne({ key }, replacement, { upsert: true });
        return;
      } catch (error) {
        // Two upserts racing on a unique index: the loser may get 11000 even
        // though the record now exists (MongoDB < 4.2, FerretDB). Retrying
        // turns it into a plain replace.
        if (isDuplicateKey(error) && attempt < this.retries) continue;
        throw wrap('write', error);
      }
    }
  }

  async delete(key: string): Promise<void> {
    await this.ensureIndex();
    await this.run('delete', () => this.collection.deleteOne({ key }));
  }

  async close(): Promise<void> {
    await this.ownedClient?.close();
  }

  private ensureIndex(): Promise<void> {
    if (!this.indexReady) {
      this.indexReady = this.run('index', async () => {
        try {
          await this.createKeyIndex();
        } catch (error) {
          // Documents that predate the index (the seed never awaited it) block it: keep the newest of each key.
          // Servers word this differently (E11000, a UNIQUE constraint), so look for duplicates whatever the error.
          if ((await this.moveDuplicatesAside()) === 0) throw error;
          await this.createKeyIndex();
        }
      }).catch((error: unknown) => {
        this.indexReady = null; // try again on the next call
        throw error;
      });
    }
    return this.indexReady;
  }

  private async createKeyIndex(): Promise<void> {
    await this.collection.createIndex({ key: 1 }, { unique: true, name: 'key_1' });
  }

  /**
   * Keeps, per key, the newest document (ObjectId time, then updatedAt) and
   * moves the others to the duplicates collection, then logs what it moved.
   * The collection holds a handful of documents, so this reads them all.
   */
  private async moveDuplicatesAside(): Promise<number> {
    let count = 0;
    const all = (await this.collection.find({}).toArray()) as Record<string, unknown>[];
    const byKey = new Map<unknown, Record<string, unknown>[]>();
    for (const doc of all) byKey.set(doc.key, [...(byKey.get(doc.key) ?? []), doc]);
    for (const [key, docs] of byKey) {
      if (docs.length < 2) continue;
      const [kept, ...moved] = [...docs].sort(newestFirst);
      for (const doc of moved) {
        await this.duplicates.replaceOne({ _id: doc._id } as never, { ...doc, movedAt: new Date() }, { upsert: true });
        await this.collection.deleteOne({ _id: doc._id } as never);
      }
      count += moved.length;
      const ids = moved.map((doc) => String(doc._id)).join(', ');
      this.logger.warn(
        `${moved.length} older document(s) with key ${JSON.stringify(key)} blocked the unique index; ` +
          `kept ${String(kept._id)}, moved ${ids} to ${this.duplicates.collectionName}`,
      );
    }
    return count;
  }

  private async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw wrap(what, error);
    }
  }
}

function wrap(what: string, error: unknown): PreprodError {
  if (error instanceof PreprodError) return error;
  return new PreprodError('store-unavailable', `MongoDB state ${what} failed: ${describeError(error)}.`, {
    cause: error,
  });
}

function timeOf(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  return objectIdTime(value)?.getTime() ?? Number.NEGATIVE_INFINITY;
}

/** Newest first: ObjectId time, then updatedAt. */
function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return timeOf(b._id) - timeOf(a._id) || timeOf(b.updatedAt) - timeOf(a.updatedAt);
}

function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

// Duck-typed so a Db from the host's own copy of the driver works too.
function objectIdTime(id: unknown): Date | null {
  if (id && typeof (id as { getTimestamp?: unknown }).getTimestamp === 'function') {
    const time = (id as { getTimestamp(): Date }).getTimestamp();
    return time instanceof Date && !Number.isNaN(time.getTime()) ? time : null;
  }
  return null;
}

export { dbNameFromUrl } from './mongoConnect';

// The URL without credentials, for logs: one implementation, in ../text.
export { redact } from '../text';
