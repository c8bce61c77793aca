/**
 * The health side of a recorded history as a HealthLedger (docs/health.md),
 * for the judge: replay the scans' changes and, per hour, hand the ledger
 * every node that answered with its stored health. Pure: no I/O, no clock.
 *
 * The ledger counts scans and its windows are 12 scans, so scans are put on
 * an hourly grid first: an hour without a scan becomes an empty scan (its
 * nodes unknown, not healthy), and of several scans in one hour the last one
 * stands for it.
 */
import { HealthLedger, type StoredScanEntry } from '../../health/ledger';
import { NodeTable, type ScanRecord } from './scanRecord';

const MS_PER_HOUR = 3_600_000;
/** A history longer than this many hours on the grid is cut to its latest hours: a year, far past any release. */
export const MAX_LEDGER_HOURS = 366 * 24;

/** The hour of `at` on the grid that starts at the first scan; hours are rounded to the nearest. */
export function hourSlot(firstMs: number, at: string): number {
  return Math.round((Date.parse(at) - firstMs) / MS_PER_HOUR);
}

/**
 * Every node that answered in its latest scan, with its stored health: the entries of one ledger scan. `reuse`
 * holds one entry per node, updated in place scan after scan (the ledger reads an entry and keeps none), so
 * 720 hours of 13,000 nodes do not allocate nine million of them.
 */
export function answeredEntries(table: NodeTable, reuse: StoredScanEntry[] = []): StoredScanEntry[] {
  const entries: StoredScanEntry[] = [];
  for (let i = 0; i < table.size; i += 1) {
    const state = table.states[i];
    if (!state.asked || !state.answered || state.health === null) continue;
    const entry = reuse[i] ?? { key: table.keys[i], stored: state.health, preprod: false, commit: null };
    entry.stored = state.health;
    entry.preprod = state.mode === 'preprod';
    entry.commit = state.commit;
    reuse[i] = entry;
    entries.push(entry);
  }
  return entries;
}

/**
 * A ledger of the release `releaseCommit` (the commit preprod nodes report) rebuilt from `scans` (oldest
 * first, as a history reads them). Scans recorded before health was (no `h`) give nodes without health:
 * unknown to the ledger, never a guess.
 */
export function healthFromHistory(scans: readonly ScanRecord[], releaseCommit: string): HealthLedger {
  const ledger = new HealthLedger(releaseCommit);
  if (scans.length === 0) return ledger;
  const firstMs = Date.parse(scans[0].at);
  const lastSlot = hourSlot(firstMs, scans[scans.length - 1].at);
  const fromSlot = Math.max(0, lastSlot - MAX_LEDGER_HOURS + 1);
  const table = new NodeTable();
  const reuse: StoredScanEntry[] = [];
  let slot = fromSlot;
  scans.forEach((scan, i) => {
    table.apply(scan);
    const scanSlot = hourSlot(firstMs, scan.at);
    const next = scans[i + 1];
    // Of several scans in one hour, the last stands for it.
    if (scanSlot < fromSlot || (next !== undefined && hourSlot(firstMs, next.at) === scanSlot)) return;
    for (; slot < scanSlot; slot += 1) ledger.addStoredScan([]);
    ledger.addStoredScan(answeredEntries(table, reuse));
    slot = scanSlot + 1;
  });
  return ledger;
}
