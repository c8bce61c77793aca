/**
 * Where scans are recorded (docs/design.md §11): `file:PATH`, an append-only
 * file (the embedded default), or `mongodb://…`, a team's server. Both keep
 * per-scan totals plus per-node changes only.
 */
import * as path from 'node:path';
import type { NodeTable, ScanRecord } from './scanRecord';
import { urlKind } from '../../state/storeUrl';

/** The end of a history, as a new scan is built on it. */
export interface HistoryTail {
  /** Number of the latest scan; 0 for an empty history. */
  seq: number;
  /** Time of the latest scan; null for an empty history. */
  at: string | null;
  /** Every node's state after the latest scan. */
  table: NodeTable;
}

export interface ReadOptions {
  /** Called as the history loads: work done so far and in all (bytes or scans). */
  onProgress?: (done: number, total: number) => void;
}

export interface HistoryStore {
  readonly description: string;
  /**
   * Every complete scan, oldest first. A scan whose write did not finish is
   * ignored. Throws PreprodError `store-unavailable` (cannot reach or open it)
   * or `store-corrupt` (it holds something that is not a history).
   */
  read(options?: ReadOptions): Promise<ScanRecord[]>;
  /**
   * Builds the next scan from the latest state and stores it, atomically with
   * respect to other writers: `build` runs while no one else can append. What
   * `build` throws is passed on and nothing is written.
   */
  append(build: (tail: HistoryTail) => ScanRecord): Promise<ScanRecord>;
  close(): Promise<void>;
}

/**
 * Throws unless `record` is the scan right after `tail`: the next number, a
 * later time. A guard against bugs: the CLI checks --at itself.
 */
export function checkFollows(tail: HistoryTail, record: ScanRecord): void {
  const later = tail.at === null || Date.parse(record.at) > Date.parse(tail.at);
  if (record.seq !== tail.seq + 1 || !later || !Number.isFinite(Date.parse(record.at))) {
    const latest = `scan ${tail.seq} at ${tail.at ?? 'none'}`;
    throw new Error(`Refusing to store scan ${record.seq} at ${record.at}: it does not follow ${latest}.`);
  }
}

/** Which kind of history a `file:PATH` or `mongodb://…` URL names; a usage error for anything else. Pure. */
export function historyKind(url: string, option: string): 'file' | 'mongodb' {
  return urlKind(url, `Expected \`${option}\` to be file:PATH or mongodb://host:port[/db]`);
}

export async function openHistory(url: string, option = '--history'): Promise<HistoryStore> {
  if (historyKind(url, option) === 'file') {
    const { FileHistory } = await import('./fileHistory');
    return new FileHistory(path.resolve(url.slice('file:'.length)));
  }
  const { MongoHistory } = await import('./mongoHistory');
  return MongoHistory.connect(url);
}
