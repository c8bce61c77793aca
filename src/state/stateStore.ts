import type { StoredDocument } from '../types';

/**
 * A small typed key-value store for node state (docs/design.md §3). Preprod is its
 * first user; other FluxOS state can move here later, so nothing in it is
 * preprod-specific.
 *
 * Values are plain objects. Dates round-trip as Date on both implementations.
 * The document returned by get() carries its `key` field.
 */
export interface StateStore {
  /** A short description for logs and errors: "file:/var/lib/x.json", "mongodb://127.0.0.1:27017/zelfluxlocal". */
  readonly description: string;
  /** The document stored under key, or null when there is none. */
  get(key: string): Promise<StoredDocument | null>;
  /**
   * The document stored under key, read with no side effect at all (no lock
   * recovery, no index work): for `status`, which never writes. Stores whose
   * get() has none may leave it out.
   */
  peek?(key: string): Promise<StoredDocument | null>;
  /** Replace the document stored under key (one record per key, always). */
  set(key: string, value: StoredDocument): Promise<void>;
  /** Remove the document stored under key; absent keys are fine. */
  delete(key: string): Promise<void>;
  /** Release connections and file handles. Idempotent. */
  close(): Promise<void>;
}
