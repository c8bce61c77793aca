/**
 * A node's health at one scan as the ledger keeps it: one 32-bit cell (docs/health.md "Speed"). Pure.
 *
 *   bits 0–27   the health word `h` (encode.ts)
 *   bits 28–29  answered: 0 no (every signal unknown), 1 degraded, 2 with a success envelope
 *   bits 30–31  same FluxOS process as at the node's last answered scan: 0 unknown, 1 no, 2 yes
 *
 * A cell of 0 is a scan the node did not answer. Each signal is a field of the cell read through a small
 * table into unknown (0), bad (1) or good (2), so the judge reads 32-bit integers, never objects.
 */
import { BAD, GOOD, UNKNOWN, type SignalSeries } from './didStats';
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

/** The fields of signalRules.ts's signals, rule by rule (the same good and bad, read from the word). */
export const SIGNAL_FIELDS: Readonly<Record<SignalName, CellField>> = {
  confirmed: field(0, 3, tri),
  benchmark: field(2, 3, tri),
  apps: field(
    20,
    0xff,
    level((apps) => apps > 0),
  ),
  peers: field(
    11,
    7,
    level((l) => l >= 2),
  ),
  sync: field(
    14,
    7,
    level((l) => l <= 1),
  ),
  answer: field(
    17,
    7,
    level((l) => l === 0),
  ),
  degraded: field(28, 3, tri),
  restarts: field(30, 3, tri),
};

const WORD_MASK = 2 ** 28 - 1;

/** The cell of an answering node: its word, whether it is degraded, and its restart code (tri). */
export function cellOf(word: number, restart: number): number {
  const degraded = ((word >> 5) & 7) !== 0;
  return ((word & WORD_MASK) | ((degraded ? 1 : 2) << 28) | (restart << 30)) >>> 0;
}

/** The value of a signal in a cell, as GOOD, BAD or UNKNOWN (didStats.ts). */
export function signalValue(cell: number, f: CellField): number {
  const code = f.codes[(cell >>> f.shift) & f.mask];
  return code === CELL_GOOD ? GOOD : code === CELL_BAD ? BAD : UNKNOWN;
}

/** One node's series of a signal from the scans' cells. */
export function seriesOfCells(columns: readonly Uint32Array[], node: number, f: CellField): SignalSeries {
  return Int8Array.from(columns, (column) => signalValue(node < column.length ? column[node] : 0, f));
}

/**
 * Every node's outcome around `tau` (1 worsened, 0 not, -1 none) from the cells, into `out`: the rule of
 * didStats.worsenedAround, computed column by column. `w` scans before and after, each side needing
 * `minKnown` known scans; a rise of the bad share of at least `worsenShare` is worse.
 */
export function outcomesOfCells(
  columns: readonly Uint32Array[],
  tau: number,
  window: { w: number; minKnown: number; worsenShare: number },
  f: CellField,
  out: Int8Array,
): void {
  const n = out.length;
  const counts = new Uint16Array(4 * n);
  const tally = (from: number, to: number, offset: number): void => {
    for (let scan = Math.max(0, from); scan < Math.min(columns.length, to); scan += 1) {
      const column = columns[scan];
      const length = Math.min(n, column.length);
      for (let i = 0; i < length; i += 1) {
        const code = f.codes[(column[i] >>> f.shift) & f.mask];
        if (code === CELL_UNKNOWN) continue;
        counts[offset + i] += 1;
        if (code === CELL_BAD) counts[offset + 2 * n + i] += 1;
      }
    }
  };
  tally(tau - window.w, tau, 0);
  tally(tau + 1, tau + window.w + 1, n);
  for (let i = 0; i < n; i += 1) {
    const knownBefore = counts[i];
    const knownAfter = counts[n + i];
    if (tau - window.w < 0 || knownBefore < window.minKnown || knownAfter < window.minKnown) out[i] = -1;
    else if (knownBefore === 0 || knownAfter === 0) out[i] = -1;
    else {
      const before = counts[2 * n + i] / knownBefore;
      const after = counts[3 * n + i] / knownAfter;
      out[i] = after - before >= window.worsenShare - 1e-9 ? 1 : 0;
    }
  }
}
