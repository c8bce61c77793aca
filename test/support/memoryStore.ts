/**
 * A StateStore in memory, for unit tests: documents in a Map (dates stay
 * Dates), with switchable faults: reads or writes that fail, or never answer.
 */
import { PreprodError } from '../../src/errors';
import type { StateStore } from '../../src/state';
import type { StoredDocument } from '../../src/types';

export type StoreFault = 'none' | 'fail' | 'hang';

export class MemoryStore implements StateStore {
  readonly description = 'memory';
  readonly docs = new Map<string, StoredDocument>();
  /** Every write, in order: `set <key>` or `delete <key>`. */
  readonly writes: string[] = [];
  /** Every read, in order: `get <key>` or `peek <key>`. */
  readonly readLog: string[] = [];
  reads: StoreFault = 'none';
  writesFault: StoreFault = 'none';

  constructor(initial: Record<string, StoredDocument> = {}) {
    for (const [key, value] of Object.entries(initial)) this.docs.set(key, { ...value, key });
  }

  async get(key: string): Promise<StoredDocument | null> {
    this.readLog.push(`get ${key}`);
    return this.read(key);
  }

  /** The side-effect-free read `status` must use. */
  async peek(key: string): Promise<StoredDocument | null> {
    this.readLog.push(`peek ${key}`);
    return this.read(key);
  }

  private async read(key: string): Promise<StoredDocument | null> {
    await this.fault(this.reads, 'read');
    const doc = this.docs.get(key);
    return doc === undefined ? null : { ...doc };
  }

  async set(key: string, value: StoredDocument): Promise<void> {
    await this.fault(this.writesFault, 'write');
    this.writes.push(`set ${key}`);
    this.docs.set(key, { ...value, key });
  }

  async delete(key: string): Promise<void> {
    await this.fault(this.writesFault, 'write');
    this.writes.push(`delete ${key}`);
    this.docs.delete(key);
  }

  async close(): Promise<void> {}

  private async fault(fault: StoreFault, what: string): Promise<void> {
    if (fault === 'hang') await new Promise(() => undefined);
    if (fault === 'fail') throw new PreprodError('store-unavailable', `The memory store refuses to ${what}.`);
  }
}
