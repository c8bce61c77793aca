/**
 * The state store for the boot (docs/design.md §5): a store handed over, or
 * FluxOS's own MongoDB connection, waited for a bounded time. FluxOS connects
 * to MongoDB late in its start-up, so the recipe starts the connection early
 * and hands over a way to get it; the service never opens a client itself.
 */
import type { Db } from 'mongodb';
import { describeError, PreprodError } from '../errors';
import type { Logger } from '../logger';
import { MongoStateStore, type StateStore } from '../state';

/** FluxOS's database: the handle, a getter that answers null until it is connected, or a promise of it. */
export type DbSource = Db | (() => Db | null | undefined) | PromiseLike<Db | null | undefined>;

const POLL_MS = 50;

function isPromiseLike(value: unknown): value is PromiseLike<Db | null | undefined> {
  return typeof (value as { then?: unknown })?.then === 'function';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The Db from `source`, waiting at most `waitMs`; null when it did not come. */
export async function waitForDb(source: DbSource, waitMs: number): Promise<Db | null> {
  if (isPromiseLike(source)) {
    const late = delay(waitMs).then(() => null);
    return Promise.race([
      Promise.resolve(source).then(
        (db) => db ?? null,
        () => null,
      ),
      late,
    ]);
  }
  if (typeof source !== 'function') return source;
  const until = Date.now() + waitMs;
  for (;;) {
    const db = source();
    if (db) return db;
    if (Date.now() >= until) return null;
    await delay(Math.min(POLL_MS, Math.max(1, until - Date.now())));
  }
}

/** A getter of the store: the one given, or a MongoStateStore on FluxOS's Db once it is there. */
export function storeGetter(
  store: StateStore | undefined,
  db: DbSource | undefined,
  defaultWaitMs: () => number,
  logger?: Logger,
) {
  let ready: StateStore | null = store ?? null;
  return async (waitMs?: number): Promise<StateStore> => {
    if (ready) return ready;
    if (db === undefined || db === null) throw new PreprodError('store-unavailable', 'No state store was given.');
    const wait = waitMs ?? defaultWaitMs();
    let found: Db | null;
    try {
      found = await waitForDb(db, wait);
    } catch (error) {
      throw new PreprodError('store-unavailable', `FluxOS's MongoDB handle cannot be had: ${describeError(error)}.`, {
        cause: error,
      });
    }
    if (found === null) {
      throw new PreprodError('store-unavailable', `FluxOS's MongoDB connection was not there within ${wait} ms.`);
    }
    try {
      ready = new MongoStateStore(found, { logger });
    } catch (error) {
      throw new PreprodError('store-unavailable', `FluxOS's MongoDB handle cannot be used: ${describeError(error)}.`, {
        cause: error,
      });
    }
    return ready;
  };
}
