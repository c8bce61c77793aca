/**
 * The history on a team's MongoDB: collection `fleet_scans` holds one document
 * per scan (`_id` its number, time, totals), `fleet_scan_changes` its node
 * changes in parts of at most PART_SIZE (a document is capped at 16 MB). The
 * parts are written first and the scan document last, so a writer killed
 * half-way leaves parts that no scan names, which readers ignore and the next
 * writer overwrites. `_id` = scan number makes two writers of the same scan
 * collide instead of both landing.
 */
import type { Collection, Db, MongoClient } from 'mongodb';
import { PreprodError, describeError } from '../../errors';
import { connectMongo } from '../../state/mongoConnect';
import { describeValue } from '../../text';
import { checkScan, HistoryFormatError } from './historyCodec';
import { checkFollows, type HistoryStore, type HistoryTail, type ReadOptions } from './history';
import { tailOf } from './fileHistory';
import type { NodeChange } from './observation';
import { countsOf, type ScanRecord, type ScanTotals } from './scanRecord';

export const DEFAULT_HISTORY_DB = 'fluxos_preprod';
export const PART_SIZE = 5000;
const DUPLICATE_KEY = 11000;

/** A count map as MongoDB keeps it: pairs, because a key from a node may start with `$` or hold a dot. */
type StoredCounts = { k: string; n: number }[];
type StoredTotals = Omit<ScanTotals, CountsKey> & Record<CountsKey, StoredCounts>;
type CountsKey = 'failed' | 'byReason' | 'preprodVersions';
const COUNTS_KEYS: readonly CountsKey[] = ['failed', 'byReason', 'preprodVersions'];

interface ScanDocument {
  _id: number;
  at: Date;
  totals: StoredTotals;
  parts: number;
  /** The scan's health column (scanRecord.ts), when any health word changed. */
  health?: string;
}

/** Totals with their count maps as pairs (issue 17 §1: strings from nodes are data, never field names). */
export function storedTotals(totals: ScanTotals): StoredTotals {
  const stored = { ...totals } as unknown as StoredTotals;
  for (const key of COUNTS_KEYS) stored[key] = Object.entries(totals[key]).map(([k, n]) => ({ k, n }));
  return stored;
}

/** The totals as the codec checks them: pairs back to a map; a map (stored before pairs) as it is. */
export function loadedTotals(stored: unknown): unknown {
  if (typeof stored !== 'object' || stored === null) return stored;
  const totals: Record<string, unknown> = { ...stored };
  for (const key of COUNTS_KEYS) {
    const value = totals[key];
    if (!Array.isArray(value)) continue;
    const pairs = value.filter(
      (p): p is { k: string; n: number } => typeof p === 'object' && p !== null && typeof p.k === 'string',
    );
    totals[key] = pairs.length === value.length ? countsOf(pairs.map((p) => [p.k, p.n] as const)) : null;
  }
  return totals;
}

interface PartDocument {
  _id: string;
  seq: number;
  part: number;
  changes: NodeChange[];
}

export class MongoHistory implements HistoryStore {
  readonly description: string;
  private readonly scans: Collection<ScanDocument>;
  private readonly parts: Collection<PartDocument>;
  private cached: HistoryTail | null = null;

  constructor(
    db: Db,
    private readonly client: MongoClient | null,
    description: string,
  ) {
    this.scans = db.collection<ScanDocument>('fleet_scans');
    this.parts = db.collection<PartDocument>('fleet_scan_changes');
    this.description = description;
  }

  static async connect(url: string, timeoutMs = 5000): Promise<MongoHistory> {
    const { client, db, shown } = await connectMongo(url, {
      timeoutMs,
      socketFactor: 6,
      defaultDb: DEFAULT_HISTORY_DB,
      exampleUrl: 'mongodb://127.0.0.1:27017/fluxos_preprod',
    });
    return new MongoHistory(db, client, `history in ${shown}`);
  }

  async read(options: ReadOptions = {}): Promise<ScanRecord[]> {
    return this.run('read', () => this.readAll(options));
  }

  async append(build: (tail: HistoryTail) => ScanRecord): Promise<ScanRecord> {
    const latest = await this.run('read', () =>
      this.scans
        .find({}, { projection: { _id: 1 } })
        .sort({ _id: -1 })
        .limit(1)
        .toArray(),
    );
    const latestSeq = latest.length > 0 ? latest[0]._id : 0;
    const tail = this.cached !== null && this.cached.seq === latestSeq ? this.cached : tailOf(await this.read());
    const record = build(tail);
    checkFollows(tail, record);
    const parts = Math.ceil(record.changes.length / PART_SIZE);
    await this.run('write', async () => {
      for (let part = 0; part < parts; part += 1) {
        const changes = record.changes.slice(part * PART_SIZE, (part + 1) * PART_SIZE);
        // A part left by a writer that died before its scan document is overwritten, not a conflict.
        await this.parts.replaceOne(
          { _id: `${record.seq}:${part}` },
          { seq: record.seq, part, changes },
          { upsert: true },
        );
      }
      await this.scans.insertOne({
        _id: record.seq,
        at: new Date(record.at),
        totals: storedTotals(record.totals),
        parts,
        ...(record.health === undefined ? {} : { health: record.health }),
      });
    });
    tail.table.apply(record);
    this.cached = { seq: record.seq, at: record.at, table: tail.table };
    return record;
  }

  async close(): Promise<void> {
    this.cached = null;
    await this.client?.close();
  }

  private async readAll(options: ReadOptions): Promise<ScanRecord[]> {
    const docs = await this.scans.find({}).sort({ _id: 1 }).toArray();
    const changesBySeq = new Map<number, NodeChange[][]>();
    const cursor = this.parts.find({}).sort({ seq: 1, part: 1 });
    for await (const part of cursor) {
      const list = changesBySeq.get(part.seq) ?? [];
      list[part.part] = Array.isArray(part.changes) ? part.changes : [];
      changesBySeq.set(part.seq, list);
    }
    const scans: ScanRecord[] = [];
    for (const doc of docs) {
      const lists = changesBySeq.get(doc._id) ?? [];
      const changes: NodeChange[] = [];
      for (let part = 0; part < doc.parts; part += 1) {
        if (lists[part] === undefined)
          throw this.corrupt(`scan ${describeValue(doc._id)} misses part ${part} of its changes`);
        changes.push(...lists[part]);
      }
      const at = doc.at instanceof Date ? doc.at.toISOString() : null;
      try {
        scans.push(
          checkScan(
            {
              seq: doc._id,
              at,
              totals: loadedTotals(doc.totals),
              changes,
              ...('health' in doc ? { health: doc.health } : {}),
            },
            scans.length + 1,
            scans[scans.length - 1] ?? null,
          ),
        );
      } catch (error) {
        if (error instanceof HistoryFormatError) throw this.corrupt(`scan ${describeValue(doc._id)}: ${error.problem}`);
        throw error;
      }
      options.onProgress?.(scans.length, docs.length);
    }
    return scans;
  }

  private corrupt(problem: string): PreprodError {
    return new PreprodError('store-corrupt', `Cannot read the ${this.description}: ${problem}.`);
  }

  private async run<T>(action: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof PreprodError) throw error;
      if ((error as { code?: unknown }).code === DUPLICATE_KEY) {
        throw new PreprodError(
          'store-unavailable',
          `Another recorder stored the same scan number in the ${this.description} at the same time.`,
        );
      }
      throw new PreprodError(
        'store-unavailable',
        `Cannot ${action} the ${this.description}: ${describeError(error)}.`,
        { cause: error },
      );
    }
  }
}
