import * as path from 'node:path';
import { FileStateStore } from './fileStateStore';
import { MongoStateStore } from './mongoStateStore';
import type { StateStore } from './stateStore';
import { storeKind } from './storeUrl';

export type { StateStore } from './stateStore';
export { FileStateStore } from './fileStateStore';
export type { FileStateStoreOptions } from './fileStateStore';
export { MongoStateStore, DEFAULT_DB_NAME } from './mongoStateStore';
export type { MongoConnectOptions, MongoStateStoreOptions } from './mongoStateStore';

export { DEFAULT_STORE_URL, storeKind } from './storeUrl';

/** Opens a store from a CLI-style URL: `mongodb://host:port[/db]` or `file:PATH`. */
export async function openStore(url: string, options: { serverSelectionTimeoutMS?: number } = {}): Promise<StateStore> {
  if (storeKind(url) === 'file') return new FileStateStore(path.resolve(url.slice('file:'.length)));
  return MongoStateStore.connect(url, options);
}
