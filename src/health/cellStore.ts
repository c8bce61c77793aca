/**
 * The ledger's storage (docs/health.md "Speed"): per scan one Uint16Array of cells (cells.ts) indexed by
 * node, and per node its release scan, platform, provider and last boot minute in typed arrays. 720 hourly
 * scans of 13,000 nodes are 19 MB of cells and no object per node and scan. Pure: no I/O, no clock.
 */
import { outcomeOfCells, windowRule, withRestart, wordCell, type CellField } from './cells';
import type { DidSettings } from './didStats';
import type { NodeView } from './signalJudge';

/** One answering node of a scan as words: the fast path (the history reader, the simulator). */
export interface WordScanEntry {
  /** The node's index, from `nodeIndex(key)`. */
  node: number;
  /** Its health word `h` (encode.ts `healthWord`): a valid word, as the history's reader checks it. */
  word: number;
  /** Unix minutes when its FluxOS started; null when unknown. */
  bootMinute: number | null;
  /** Its hosting provider; null when this scan did not say (the last known stands). */
  provider: string | null;
  /** It reported the judged release as a preprod node (its release scan is the first such scan). */
  onRelease: boolean;
}

const WORD_MASK = 2 ** 28 - 1;
const NO_CELLS = new Uint16Array(0);

function grown<T extends Int32Array | Uint8Array | Float64Array>(array: T, size: number, fill: number): T {
  if (array.length >= size) return array;
  const copy = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2, 64));
  copy.fill(fill);
  copy.set(array);
  return copy;
}

export class CellStore {
  readonly columns: Uint16Array[] = [];
  readonly keys: string[] = [];
  /** Nodes whose release, platform or provider was set or changed (NodeView.changedNodes). */
  readonly changed: number[] = [];
  readonly onRelease: number[] = [];
  readonly providers: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly providerIds = new Map<string, number>();
  releaseScans = new Int32Array(0);
  arcaneFlags = new Uint8Array(0);
  providerOf = new Int32Array(0);
  /** Last answered scan's boot minute (NaN: unknown) and word (-1: none yet). */
  private bootMinutes = new Float64Array(0);
  lastWords = new Int32Array(0);
  private lastCells = new Int32Array(0);
  /** Nodes whose cell in the last scan is not the cell a repeat of it gives (restarted, or first answer). */
  private unsettled: number[] = [];

  /** The node's index, added on first sight. Keys come from node lists: Map keys, never object keys. */
  nodeIndex(key: string): number {
    let node = this.index.get(key);
    if (node !== undefined) return node;
    node = this.keys.push(key) - 1;
    this.index.set(key, node);
    const size = this.keys.length;
    this.releaseScans = grown(this.releaseScans, size, -1);
    this.arcaneFlags = grown(this.arcaneFlags, size, 0);
    this.providerOf = grown(this.providerOf, size, -1);
    this.bootMinutes = grown(this.bootMinutes, size, Number.NaN);
    this.lastWords = grown(this.lastWords, size, -1);
    this.lastCells = grown(this.lastCells, size, 0);
    this.changed.push(node);
    return node;
  }

  /** Adds one scan: every answering node once; a node not in `entries` did not answer. */
  addWordScan(entries: Iterable<WordScanEntry>): void {
    this.unsettled = [];
    const column = new Uint16Array(this.keys.length);
    this.columns.push(column);
    for (const entry of entries) this.addEntry(column, entry);
  }

  /**
   * Adds a scan that repeats the last one but for `changed` (nodes answering now whose entry changed, or
   * that did not answer the last scan) and `silent` (nodes that answered the last scan and not this one):
   * the fast path of a replay, where most nodes' health stays the same from hour to hour. A node that
   * answers both scans with the same word and boot minute gets the last scan's cell, "same process" when
   * its boot minute is known.
   */
  addChangedScan(changed: Iterable<WordScanEntry>, silent: Iterable<number>): void {
    const last = this.columns.length > 0 ? this.columns[this.columns.length - 1] : NO_CELLS;
    const column = new Uint16Array(this.keys.length);
    column.set(last);
    for (const node of this.unsettled) if (column[node] !== 0) column[node] = this.sameCell(node);
    this.unsettled = [];
    for (const node of silent) column[node] = 0;
    this.columns.push(column);
    for (const entry of changed) this.addEntry(column, entry);
  }

  /** The node's cell at a scan that repeats its last: same word, same boot minute (so "same process" if known). */
  private sameCell(node: number): number {
    return withRestart(this.lastCells[node], Number.isNaN(this.bootMinutes[node]) ? 0 : 2);
  }

  private addEntry(column: Uint16Array, entry: WordScanEntry): void {
    const node = entry.node;
    if (!(node >= 0 && node < column.length))
      throw new RangeError(`Expected a node index from nodeIndex(), got ${node}.`);
    const word = entry.word & WORD_MASK;
    const boot = entry.bootMinute ?? Number.NaN;
    const before = this.bootMinutes[node];
    // Same process: 0 unknown (no boot minute now or at the last answered scan), 1 restarted, 2 same.
    const restart =
      this.lastWords[node] < 0 || Number.isNaN(boot) || Number.isNaN(before) ? 0 : boot === before ? 2 : 1;
    this.bootMinutes[node] = boot;
    // A node's word seldom changes from one scan to the next: its cell is then the last one's.
    if (word !== this.lastWords[node]) this.lastCells[node] = wordCell(word);
    column[node] = withRestart(this.lastCells[node], restart);
    this.lastWords[node] = word;
    if (column[node] !== this.sameCell(node)) this.unsettled.push(node);
    this.noteNode(node, word, entry, this.columns.length - 1);
  }

  /** Platform (from a scan that is not degraded), provider (when said) and release scan of a node. */
  private noteNode(node: number, word: number, entry: WordScanEntry, scan: number): void {
    let changed = false;
    const arcane = (word >> 4) & 1;
    if (((word >> 5) & 7) === 0 && this.arcaneFlags[node] !== arcane) {
      this.arcaneFlags[node] = arcane;
      changed = true;
    }
    if (entry.provider !== null && entry.provider !== this.providers[this.providerOf[node]]) {
      let id = this.providerIds.get(entry.provider);
      if (id === undefined) {
        id = this.providers.push(entry.provider) - 1;
        this.providerIds.set(entry.provider, id);
      }
      changed ||= this.providerOf[node] !== id;
      this.providerOf[node] = id;
    }
    if (entry.onRelease && this.releaseScans[node] < 0) {
      this.releaseScans[node] = scan;
      this.onRelease.push(node);
      changed = true;
    }
    if (changed) this.changed.push(node);
  }

  /** The store as the judge of one signal reads it. */
  viewOf(field: CellField): NodeView {
    const store = this;
    return {
      get nodeCount() {
        return store.keys.length;
      },
      releaseAt: (node) => store.releaseScans[node],
      arcane: (node) => store.arcaneFlags[node] === 1,
      providerOf: (node) => store.providerOf[node],
      providerName: (id) => store.providers[id],
      releaseNodes: () => store.onRelease,
      changedNodes: store.changed,
      outcomeOf: (node: number, tau: number, did: DidSettings) =>
        outcomeOfCells(store.columns, node, tau, windowRule(did), field),
    };
  }
}
