/**
 * A node's health at one scan as the ledger keeps it: one 16-bit cell (docs/health.md "Speed"). Pure.
 *
 * Two bits per signal, in the order of SIGNAL_RULES: 0 unknown, 1 bad, 2 good. A cell of 0 is a scan the
 * node did not answer. Only what the signals read is kept (not the app count, not the incoming peers), so a
 * node's cell changes only when one of its signals does: the judge's sweep (cellSweep.ts) passes over a
 * node whose cells are the same at both ends of a window, and it reads 16-bit integers, never objects.
 */
import { BAD, GOOD, UNKNOWN, type DidSettings, type SignalSeries } from './didStats';
import type { SignalName } from './signalRules';

export const CELL_UNKNOWN = 0;
export const CELL_BAD = 1;
export const CELL_GOOD = 2;

/** Where a signal sits in a cell, and what each value of that field means. */
export interface CellField {
  shift: number;
  mask: number;
  /** Field value → CELL_UNKNOWN, CELL_BAD or CELL_GOOD. */
  codes: Uint8Array;
}

function field(shift: number, mask: number, code: (value: number) => number): CellField {
  return { shift, mask, codes: Uint8Array.from({ length: mask + 1 }, (_, value) => code(value)) };
}

/** A two-bit code: 0 unknown, 1 no (bad), 2 yes (good); 3 never written. */
const tri = (value: number): number => (value === 1 ? CELL_BAD : value === 2 ? CELL_GOOD : CELL_UNKNOWN);
/** A level stored as 1 + level (0 unknown): good when `good(level)`. */
const level =
  (good: (level: number) => boolean) =>
  (value: number): number =>
    value === 0 ? CELL_UNKNOWN : good(value - 1) ? CELL_GOOD : CELL_BAD;

/** The signals read from the health word (encode.ts), with the same good and bad as signalRules.ts. */
const WORD_FIELDS: readonly CellField[] = [
  field(0, 3, tri), // confirmed
  field(2, 3, tri), // benchmark
  field(
    20,
    0xff,
    level((apps) => apps > 0),
  ), // apps
  field(
    11,
    7,
    level((l) => l >= 2),
  ), // peers (outgoing)
  field(
    14,
    7,
    level((l) => l <= 1),
  ), // sync (block lag)
  field(
    17,
    7,
    level((l) => l === 0),
  ), // answer time
];

const ORDER: readonly SignalName[] = [
  'confirmed',
  'benchmark',
  'apps',
  'peers',
  'sync',
  'answer',
  'degraded',
  'restarts',
];
const CODE = Uint8Array.from([CELL_UNKNOWN, CELL_BAD, CELL_GOOD, CELL_UNKNOWN]);

/** Each signal's two bits in a cell. */
export const SIGNAL_FIELDS = Object.fromEntries(
  ORDER.map((name, s) => [name, { shift: 2 * s, mask: 3, codes: CODE }]),
) as Readonly<Record<SignalName, CellField>>;

const RESTART_SHIFT = 2 * ORDER.indexOf('restarts');
const DEGRADED_SHIFT = 2 * ORDER.indexOf('degraded');

/** The cell of an answering node from its word, without the restart code. */
export function wordCell(word: number): number {
  let cell = (((word >> 5) & 7) === 0 ? CELL_GOOD : CELL_BAD) << DEGRADED_SHIFT;
  for (let s = 0; s < WORD_FIELDS.length; s += 1) {
    const f = WORD_FIELDS[s];
    cell |= f.codes[(word >>> f.shift) & f.mask] << (2 * s);
  }
  return cell;
}

/** A word cell with the restart code (0 unknown, 1 restarted, 2 same process). */
export function withRestart(cell: number, restart: number): number {
  return cell | (restart << RESTART_SHIFT);
}

/** The value of a signal in a cell, as GOOD, BAD or UNKNOWN (didStats.ts). */
export function signalValue(cell: number, f: CellField): number {
  const code = f.codes[(cell >>> f.shift) & f.mask];
  return code === CELL_GOOD ? GOOD : code === CELL_BAD ? BAD : UNKNOWN;
}

/** One node's series of a signal from the scans' cells. */
export function seriesOfCells(columns: readonly Uint16Array[], node: number, f: CellField): SignalSeries {
  return Int8Array.from(columns, (column) => signalValue(node < column.length ? column[node] : 0, f));
}

/** What makes a node worse around τ (didStats.ts): windows of `w` scans, each with `minKnown` known. */
export interface WindowRule {
  w: number;
  minKnown: number;
  /** Rise of the bad share that is worse. */
  worsenShare: number;
}

/** The window rule of didStats' settings. */
export function windowRule(did: DidSettings): WindowRule {
  return { w: did.windowScans, minKnown: Math.ceil(did.windowScans * did.minKnownShare), worsenShare: did.worsenShare };
}

/**
 * didStats.worsenedAround from whether the value at τ is known and the counts of known and bad scans before
 * and after τ: 1, 0, or -1 for none.
 */
export function outcomeOfCounts(
  rule: WindowRule,
  knownAtTau: boolean,
  knownBefore: number,
  badBefore: number,
  knownAfter: number,
  badAfter: number,
): number {
  if (!knownAtTau) return -1;
  if (knownBefore < rule.minKnown || knownAfter < rule.minKnown || knownBefore === 0 || knownAfter === 0) return -1;
  return badAfter / knownAfter - badBefore / knownBefore >= rule.worsenShare - 1e-9 ? 1 : 0;
}

/** One node's outcome around `tau` from the cells (τ's after-window in the scans); -1 when none. */
export function outcomeOfCells(
  columns: readonly Uint16Array[],
  node: number,
  tau: number,
  rule: WindowRule,
  f: CellField,
): number {
  if (tau - rule.w < 0) return -1;
  const counts = [0, 0, 0, 0];
  let knownAtTau = false;
  for (let scan = tau - rule.w; scan <= tau + rule.w && scan < columns.length; scan += 1) {
    const column = columns[scan];
    const code = f.codes[((node < column.length ? column[node] : 0) >>> f.shift) & f.mask];
    if (scan === tau) knownAtTau = code !== CELL_UNKNOWN;
    if (scan === tau || code === CELL_UNKNOWN) continue;
    const side = scan < tau ? 0 : 2;
    counts[side] += 1;
    if (code === CELL_BAD) counts[side + 1] += 1;
  }
  return outcomeOfCounts(rule, knownAtTau, counts[0], counts[1], counts[2], counts[3]);
}
