import * as path from 'node:path';
import { PreprodError } from '../errors';
import { FileStateStore } from './fileStateStore';
import { MongoStateStore } from './mongoStateStore';
import type { StateStore } from './stateStore';

export type { StateStore } from './stateStore';
export { FileStateStore } from './fileStateStore';
export type { FileStateStoreOptions } from './fileStateStore';
export { MongoStateStore, DEFAULT_DB_NAME } from './mongoStateStore';
export type { MongoConnectOptions, MongoStateStoreOptions } from './mongoStateStore';

export const DEFAULT_STORE_URL = 'mongodb://127.0.0.1:27017/zelfluxlocal';

/** Which kind of store a CLI-style URL names; throws a usage error for anything else. Pure. */
export function storeKind(url: string): 'file' | 'mongodb' {
  if (typeof url === 'string' && url.startsWith('file:') && url.length > 'file:'.length && !url.includes('\0')) return 'file';
  if (typeof url === 'string' && /^mongodb(\+srv)?:\/\/[^\s]+$/.test(url)) return 'mongodb';
  const shown = typeof url === 'string' ? JSON.stringify(url.length > 60 ? `${url.slice(0, 60)}…` : url) : String(url);
  throw new PreprodError('usage', `Expected \`--store\` to be mongodb://host:port[/db] or file:PATH, got ${shown}.`);
}

/** Opens a store from a CLI-style URL: `mongodb://host:port[/db]` or `file:PATH`. */
export async function openStore(url: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<StateStore> {
  if (storeKind(url) === 'file') return new FileStateStore(path.resolve(url.slice('file:'.length)));
  return MongoStateStore.connect(url, options);
}
