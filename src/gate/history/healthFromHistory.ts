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
import { applyHealthChange, fromWord, isHealthWord } from '../../health/encode';
import { HealthLedger, type WordScanEntry } from '../../health/ledger';
import { columnOf } from './healthColumn';
import type { ScanRecord } from './scanRecord';

const MS_PER_HOUR = 3_600_000;
/** A history longer than this many hours on the grid is cut to its latest hours: a year, far past any release. */
export const MAX_LEDGER_HOURS = 366 * 24;

/** The hour of `at` on the grid that starts at the first scan; hours are rounded to the nearest. */
export function hourSlot(firstMs: number, at: string): number {
  return Math.round((Date.parse(at) - firstMs) / MS_PER_HOUR);
}

/**
 * The health side of a replay, by node index, without an object per node and change: per node one ledger
 * entry (word, boot minute, provider, on the release) updated as NodeTable.apply updates the node (a column
 * entry with the node's record when it has one, else the word alone; a record's `b`, `p`, `g` through the
 * same checks), and whether it answered its latest scan with health. 720 hours of 13,000 nodes then cost no
 * object per node and hour: an hour's entries are the live nodes' entries, as they stand.
 */
class HealthReplay {
  private readonly entries: WordScanEntry[] = [];
  /** Per node: answered its latest scan (asked and answered); the scan number of its record, of its column word. */
  private answering = new Uint8Array(0);
  private recordScan = new Int32Array(0);
  private columnScan = new Int32Array(0);
  private columnWord = new Int32Array(0);
  private scan = 0;
  private asked = new Uint8Array(0);
  private answeredNow = new Uint8Array(0);
  private readonly modes: (string | null)[] = [];
  private readonly commits: (string | null)[] = [];
  /** Node keys by index, in order of first appearance (as NodeTable gives them, so column indices match). */
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();
  /** Nodes a record or a column entry touched since the last hour handed to the ledger. */
  private touched: number[] = [];
  /** Per node, the hand it was last touched for (`handCount`), so `touched` holds each node once. */
  private touchedAt = new Int32Array(0);
  private handCount = 1;
  /** Per node: in the last hour handed to the ledger (that hour had no gap before it being irrelevant). */
  private handed = new Uint8Array(0);
  /** The ledger's last scan came from here (not an empty hour): the next can be handed as changes. */
  private inStep = false;

  constructor(private readonly ledger: HealthLedger) {}

  apply(scan: Pick<ScanRecord, 'changes' | 'health'>): void {
    this.scan += 1;
    const records = scan.changes.map((change) => this.indexOf(change.n));
    this.grow(this.keys.length);
    for (const i of records) {
      this.recordScan[i] = this.scan;
      this.touch(i);
    }
    for (const [i, h] of columnOf(scan, this.keys.length)) {
      this.touch(i);
      if (this.recordScan[i] === this.scan) {
        this.columnScan[i] = this.scan;
        this.columnWord[i] = h;
      } else this.entryOf(i).word = h;
    }
    scan.changes.forEach((change, k) => {
      const i = records[k];
      const h = this.columnScan[i] === this.scan ? this.columnWord[i] : change.h;
      const entry = this.entryOf(i);
      const rare = change.b !== undefined || change.p !== undefined || change.g !== undefined;
      // A word alone: applyHealthChange would take a valid one with the rare values as they were.
      if (!rare && h !== undefined && isHealthWord(h)) entry.word = h;
      else if (rare || h !== undefined) {
        const rest = { bootMinute: entry.bootMinute, provider: entry.provider, country: null };
        const after = applyHealthChange(entry.word < 0 ? null : fromWord(entry.word, rest), { ...change, h });
        entry.word = after === null ? -1 : isHealthWord(h) ? h : entry.word;
        entry.bootMinute = after?.bootMinute ?? null;
        entry.provider = after?.provider ?? null;
      }
      // The node's state as NodeTable.apply (applyChange) keeps it: asked, answered, mode, commit.
      if (change.q !== undefined) this.asked[i] = change.q === 1 ? 1 : 0;
      if (change.a !== undefined) this.answeredNow[i] = change.a === 1 ? 1 : 0;
      if (change.m !== undefined) this.modes[i] = change.m;
      if (change.c !== undefined) this.commits[i] = change.c;
      entry.onRelease = this.modes[i] === 'preprod' && this.commits[i] === this.ledger.releaseCommit;
      this.answering[i] = this.asked[i] === 1 && this.answeredNow[i] === 1 ? 1 : 0;
    });
  }

  /** Hands the latest scan to the ledger: as changes when the ledger's last scan was the replay's too. */
  hand(): void {
    if (!this.inStep) {
      this.ledger.addWordScan(this.answered());
      this.handed = Uint8Array.from({ length: this.keys.length }, (_, i) => this.live(i));
    } else {
      const changed: WordScanEntry[] = [];
      const silent: number[] = [];
      if (this.handed.length < this.keys.length) {
        const grown = new Uint8Array(Math.max(this.keys.length, 2 * this.handed.length));
        grown.set(this.handed);
        this.handed = grown;
      }
      const fresh: number[] = [];
      for (const i of this.touched) {
        const live = this.live(i);
        if (live === 1 && this.entries[i].node < 0) fresh.push(i);
        else if (live === 1) changed.push(this.entries[i]);
        else if (this.handed[i] === 1) silent.push(this.entries[i].node);
        this.handed[i] = live;
      }
      // Nodes new to the ledger join it in table order, as a whole scan adds them.
      for (const i of fresh.sort((a, b) => a - b)) changed.push(this.registered(i));
      this.ledger.addChangedScan(changed, silent);
    }
    this.touched = [];
    this.handCount += 1;
    this.inStep = true;
  }

  /** An hour without a scan: an empty ledger scan. */
  gap(): void {
    this.ledger.addWordScan([]);
    this.inStep = false;
  }

  private touch(i: number): void {
    if (this.touchedAt[i] === this.handCount) return;
    this.touchedAt[i] = this.handCount;
    this.touched.push(i);
  }

  private live(i: number): number {
    return this.answering[i] === 1 && this.entries[i] !== undefined && this.entries[i].word >= 0 ? 1 : 0;
  }

  private registered(i: number): WordScanEntry {
    const entry = this.entries[i];
    if (entry.node < 0) entry.node = this.ledger.nodeIndex(this.keys[i]);
    return entry;
  }

  /** The entries of the nodes that answered their latest scan with health, in table order. */
  private answered(): WordScanEntry[] {
    const out: WordScanEntry[] = [];
    for (let i = 0; i < this.keys.length; i += 1) if (this.live(i) === 1) out.push(this.registered(i));
    return out;
  }

  private entryOf(i: number): WordScanEntry {
    this.entries[i] ??= { node: -1, word: -1, bootMinute: null, provider: null, onRelease: false };
    return this.entries[i];
  }

  /** The node's index, in order of first appearance in the records (NodeTable.indexOf's order). */
  private indexOf(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.push(key) - 1;
      this.index.set(key, i);
    }
    return i;
  }

  private grow(size: number): void {
    if (size <= this.answering.length) return;
    const n = Math.max(size, 2 * this.answering.length, 1024);
    const grown = <T extends Uint8Array | Int32Array>(array: T, make: (n: number) => T): T => {
      const copy = make(n);
      copy.set(array);
      return copy;
    };
    this.answering = grown(this.answering, (k) => new Uint8Array(k));
    this.touchedAt = grown(this.touchedAt, (k) => new Int32Array(k));
    this.asked = grown(this.asked, (k) => new Uint8Array(k));
    this.answeredNow = grown(this.answeredNow, (k) => new Uint8Array(k));
    this.recordScan = grown(this.recordScan, (k) => new Int32Array(k));
    this.columnScan = grown(this.columnScan, (k) => new Int32Array(k));
    this.columnWord = grown(this.columnWord, (k) => new Int32Array(k));
  }
}

/**
 * A ledger of the release `releaseCommit` (the commit preprod nodes report) rebuilt from `scans` (oldest
 * first, as a history reads them). Scans recorded before health was (no `h`) give nodes without health:
 * unknown to the ledger, never a guess. The health columns are read as words straight into the ledger
 * (`addWordScan`), never as an object per node and hour.
 */
export function healthFromHistory(scans: readonly ScanRecord[], releaseCommit: string): HealthLedger {
  const ledger = new HealthLedger(releaseCommit);
  if (scans.length === 0) return ledger;
  const firstMs = Date.parse(scans[0].at);
  const lastSlot = hourSlot(firstMs, scans[scans.length - 1].at);
  const fromSlot = Math.max(0, lastSlot - MAX_LEDGER_HOURS + 1);
  const replay = new HealthReplay(ledger);
  let slot = fromSlot;
  scans.forEach((scan, i) => {
    replay.apply(scan);
    const scanSlot = hourSlot(firstMs, scan.at);
    const next = scans[i + 1];
    // Of several scans in one hour, the last stands for it.
    if (scanSlot < fromSlot || (next !== undefined && hourSlot(firstMs, next.at) === scanSlot)) return;
    for (; slot < scanSlot; slot += 1) replay.gap();
    replay.hand();
    slot = scanSlot + 1;
  });
  return ledger;
}
