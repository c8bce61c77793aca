/**
 * One way to open a MongoDB connection of our own (the state store's `--store mongodb://…`, the gate's
 * history): the same timeouts, the same one-sentence errors, and never a credential in them — neither the
 * URL's userinfo nor a URL inside the driver's own message.
 */
import type { Db, MongoClient } from 'mongodb';
import { PreprodError, describeError } from '../errors';
import { quoted, redact, redactUrls } from '../text';

export interface MongoConnectSettings {
  /** How long to look for a server and to connect, in ms. */
  timeoutMs: number;
  /** Socket timeout as a multiple of `timeoutMs`: long reads (a history) need more. */
  socketFactor: number;
  /** Database when neither `dbName` nor the URL names one. */
  defaultDb: string;
  dbName?: string;
  /** A URL shown in the usage error, e.g. mongodb://127.0.0.1:27017/zelfluxlocal. */
  exampleUrl: string;
}

export interface MongoConnection {
  client: MongoClient;
  db: Db;
  /** The URL without credentials and the database, for messages. */
  shown: string;
}

/** The database a `mongodb://host[:port]/db` URL names; null when none, or when its escapes are malformed. */
export function dbNameFromUrl(url: string): string | null {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(url);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

export async function connectMongo(url: string, settings: MongoConnectSettings): Promise<MongoConnection> {
  const { MongoClient: Client } = await import('mongodb');
  const { timeoutMs } = settings;
  let client: MongoClient;
  try {
    client = new Client(url, {
      serverSelectionTimeoutMS: timeoutMs,
      connectTimeoutMS: timeoutMs,
      socketTimeoutMS: timeoutMs * settings.socketFactor,
    });
  } catch (error) {
    const shown = quoted(redact(url), 60);
    throw new PreprodError('usage', `Expected a MongoDB URL like ${settings.exampleUrl}, got ${shown}.`, {
      cause: error,
    });
  }
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    const why = redactUrls(describeError(error));
    throw new PreprodError('store-unavailable', `Cannot reach MongoDB at ${redact(url)}: ${why}.`, { cause: error });
  }
  const db = client.db(settings.dbName ?? dbNameFromUrl(url) ?? settings.defaultDb);
  return { client, db, shown: `${redact(url)} (database ${db.databaseName})` };
}
