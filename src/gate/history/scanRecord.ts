/**
 * A recorded scan: its time, per-scan totals, and the per-node changes since
 * the scan before (docs/design.md §11). `NodeTable` replays changes into
 * every node's state. Pure: no I/O, no clock.
 */
import { isAnswered, type NodeResult } from '../../fleet/classify';
import { encodeHealthColumn, fromWord, toStored } from '../../health/encode';
import { columnOf, rareOf, withHealth } from './healthColumn';
import { blockLags } from '../../health/signals';
import {
  applyChange,
  changeBetween,
  EMPTY_STATE,
  nextState,
  nodeKey,
  observeWithHealth,
  type NodeChange,
  type NodeObservation,
  type NodeState,
} from './observation';

/**
 * Counts by a string that came from a node (a version, a reason): always a
 * null-prototype object, so `constructor` or `__proto__` is a name like any
 * other and never a property of Object.prototype (issue 17 §1).
 */
export type Counts = Record<string, number>;

/** An empty Counts: no prototype, so every key is data. */
export function emptyCounts(): Counts {
  return Object.create(null) as Counts;
}

/** Counts from [key, count] pairs, in their order. */
export function countsOf(entries: Iterable<readonly [string, number]>): Counts {
  const counts = emptyCounts();
  for (const [key, value] of entries) counts[key] = value;
  return counts;
}

/** Figures of one scan as a whole, for timelines and metrics without a replay. */
export interface ScanTotals {
  asked: number;
  answered: number;
  preprod: number;
  production: number;
  unknown: number;
  /** Answering nodes by cohort. */
  selected: number;
  notSelected: number;
  /** Silent nodes by failure kind. */
  failed: Counts;
  /** Answering preprod/production nodes by reason. */
  byReason: Counts;
  /** Answering preprod nodes by version: the most common ones, the rest under `other`. */
  preprodVersions: Counts;
}

export interface ScanRecord {
  /** 1 for the first scan of a history, then consecutive. */
  seq: number;
  /** ISO-8601 time of the scan (its start, or --at). */
  at: string;
  totals: ScanTotals;
  changes: NodeChange[];
  /**
   * The health words (`h`) that changed in this scan, as one column of `index.word` pairs in base 36
   * (src/health/encode.ts), `index` the node's position in the NodeTable replayed up to and including this
   * scan's changes. About 10 bytes a change instead of about 40 as a record. Absent when none changed
   * (and in histories recorded before health).
   */
  health?: string;
}

/** Versions kept by name in a scan's totals: a hostile fleet must not grow every record by 13,000 names. */
export const MAX_VERSIONS_IN_TOTALS = 20;

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function topCounts(counts: Map<string, number>, max: number): Counts {
  const entries = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out = new Map<string, number>();
  let other = 0;
  entries.forEach(([key, value], index) => {
    if (index < max) out.set(key, value);
    else other += value;
  });
  if (other > 0) out.set('other', (out.get('other') ?? 0) + other);
  return countsOf(out);
}

/** Totals of a scan that asked `asked` nodes and counted nothing yet. */
export function emptyTotals(asked = 0): ScanTotals {
  return {
    asked,
    answered: 0,
    preprod: 0,
    production: 0,
    unknown: 0,
    selected: 0,
    notSelected: 0,
    failed: emptyCounts(),
    byReason: emptyCounts(),
    preprodVersions: emptyCounts(),
  };
}

export function totalsOf(observations: readonly NodeObservation[]): ScanTotals {
  const totals = emptyTotals(observations.length);
  const failed = new Map<string, number>();
  const reasons = new Map<string, number>();
  const versions = new Map<string, number>();
  for (const o of observations) {
    if (!o.answered) {
      bump(failed, o.failure ?? 'error');
      continue;
    }
    totals.answered += 1;
    totals[o.mode ?? 'unknown'] += 1;
    if (o.cohort === 'selected') totals.selected += 1;
    else if (o.cohort === 'not-selected') totals.notSelected += 1;
    if (o.mode !== 'unknown' && o.reason !== null) bump(reasons, o.reason);
    if (o.mode === 'preprod') bump(versions, o.version ?? 'none');
  }
  totals.failed = countsOf(failed);
  totals.byReason = countsOf(reasons);
  totals.preprodVersions = topCounts(versions, MAX_VERSIONS_IN_TOTALS);
  return totals;
}

/** Every node's state, replayed from the changes of the scans so far. */
export class NodeTable {
  readonly keys: string[] = [];
  readonly states: NodeState[] = [];
  private readonly index = new Map<string, number>();

  /**
   * @param withHealth Replay the scans' health columns too. The judge of darkness, fallbacks and releases reads
   * none of it, and decoding every column costs it seconds over a month of scans: it passes false.
   */
  constructor(private readonly replaysHealth = true) {}

  get size(): number {
    return this.keys.length;
  }

  indexOf(node: string): number {
    let i = this.index.get(node);
    if (i === undefined) {
      i = this.keys.length;
      this.index.set(node, i);
      this.keys.push(node);
      this.states.push(EMPTY_STATE);
    }
    return i;
  }

  /** The node's index, without adding it. */
  indexIfKnown(node: string): number | undefined {
    return this.index.get(node);
  }

  get(node: string): Readonly<NodeState> {
    const i = this.index.get(node);
    return i === undefined ? EMPTY_STATE : this.states[i];
  }

  /**
   * Applies one scan's changes, then its health column; `onChange` sees each changed record's node before and
   * after. A column entry goes with the node's record when it has one (so a new node's `b`, `p`, `g` and `h`
   * land together); an index past the table is passed over: the codec checked the column's form.
   */
  apply(
    scan: Pick<ScanRecord, 'changes' | 'health'>,
    onChange?: (index: number, before: NodeState, after: NodeState) => void,
  ): void {
    const indices = scan.changes.map((change) => this.indexOf(change.n));
    const inRecords = new Set(indices);
    const withRecord = new Map<number, number>();
    // Most of a scan's health is here: the words were checked by decodeHealthColumn, so they are read directly.
    for (const [i, h] of this.replaysHealth ? columnOf(scan, this.size) : []) {
      if (inRecords.has(i)) withRecord.set(i, h);
      else this.states[i] = withHealth(this.states[i], fromWord(h, rareOf(this.states[i].health)));
    }
    scan.changes.forEach((change, k) => {
      const i = indices[k];
      const before = this.states[i];
      const word = withRecord.get(i);
      const after = applyChange(before, word === undefined ? change : { ...change, h: word });
      this.states[i] = after;
      onChange?.(i, before, after);
    });
  }

  clone(): NodeTable {
    const copy = new NodeTable(this.replaysHealth);
    for (let i = 0; i < this.keys.length; i += 1) copy.states[copy.indexOf(this.keys[i])] = this.states[i];
    return copy;
  }
}

/**
 * The record of a scan taken after the history's `table`: totals over the
 * observations, a change for every node whose state changed, and `q: 0` for a
 * node asked last time but not in this scan's targets.
 */
export function buildScan(
  table: NodeTable,
  observations: readonly NodeObservation[],
  at: string,
  seq: number,
): ScanRecord {
  const changes: NodeChange[] = [];
  const seen = new Set<string>();
  for (const observation of observations) {
    if (seen.has(observation.node)) continue;
    seen.add(observation.node);
    const before = table.get(observation.node);
    const change = changeBetween(observation.node, before, nextState(before, observation));
    if (change !== null) changes.push(change);
  }
  for (let i = 0; i < table.size; i += 1) {
    const node = table.keys[i];
    if (table.states[i].asked && !seen.has(node))
      changes.push({ n: node, q: 0, ...(table.states[i].answered ? { a: 0 } : {}) });
  }
  const { records, health } = healthColumn(table, changes);
  return { seq, at, totals: totalsOf(observations), changes: records, ...(health === '' ? {} : { health }) };
}

/**
 * Moves the changes' health words into the scan's column: a node's index is its place in `table`, or for a
 * node new to it, table.size plus its rank among the new nodes of `changes` (as NodeTable.apply assigns).
 */
function healthColumn(table: NodeTable, changes: readonly NodeChange[]): { records: NodeChange[]; health: string } {
  const records: NodeChange[] = [];
  const entries: [number, number][] = [];
  const known = new Map<string, number>();
  for (const change of changes) {
    let index = known.get(change.n) ?? table.indexIfKnown(change.n);
    if (index === undefined) {
      index = table.size + known.size;
      known.set(change.n, index);
    }
    const { h, ...record } = change;
    if (h !== undefined) entries.push([index, h]);
    if (h === undefined || Object.keys(record).length > 1) records.push(record);
  }
  return { records, health: encodeHealthColumn(entries) };
}

/**
 * A scan's results as the history keeps them, health included (docs/health.md): each answering or degraded
 * node's signals stored with its block lag behind this scan's median, its answer time, and the levels'
 * hysteresis from what `table` last stored for it.
 */
export function observeScan(table: NodeTable, results: readonly NodeResult[]): NodeObservation[] {
  const read = results.map((r) => (isAnswered(r.kind) && r.health !== undefined ? r.health : null));
  const lags = blockLags(read.filter((h) => h !== null).map((h) => h.blocks));
  let answering = 0;
  return results.map((result, i) => {
    const signals = read[i];
    if (signals === null) return observeWithHealth(result, null);
    const before = table.get(nodeKey(result.host, result.port)).health;
    const lag = lags[answering];
    answering += 1;
    return observeWithHealth(result, toStored(signals, lag, result.ms, before));
  });
}
