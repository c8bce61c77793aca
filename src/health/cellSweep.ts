/**
 * Every node's outcome of every signal around a release scan τ, swept forward through the scans
 * (docs/health.md "Speed"). Pure.
 *
 * A node's outcome around τ depends on its known and bad counts in the window before τ and the window
 * after. Moving τ by one scan moves each window by one cell: one cell leaves, one enters. Most nodes'
 * cells are the same at both ends, so a step touches only the nodes whose cells differ there, and only the
 * signals whose field differs. A month of hourly scans of 13,000 nodes is swept once for all eight signals;
 * the judge then diffs each τ's outcomes against the τ before (signalJudge.ts). The cell at τ itself is in
 * neither window but decides whether the node has an outcome (known there or not), so a step also touches
 * the nodes whose cell at the new τ differs from the one at the old.
 */
import { CELL_BAD, CELL_UNKNOWN, outcomeOfCounts, type CellField, type WindowRule } from './cells';

const NONE = new Uint16Array(0);

/** Bit 2s set when field s of a cell is known (CELL_UNKNOWN is 0): what the cell at τ decides. */
const knownBits = (cell: number): number => (cell | (cell >>> 1)) & 0x5555;

/** One signal's window counts and outcomes, per node, and the nodes whose outcome moved since the last call. */
class SignalState {
  knownBefore: Uint16Array;
  badBefore: Uint16Array;
  knownAfter: Uint16Array;
  badAfter: Uint16Array;
  outcomes: Int8Array;
  moved: Int32Array;
  movedCount = 0;
  marked: Uint8Array;
  constructor(
    readonly field: CellField,
    /** The window rule with this signal's own worsenShare. */
    readonly rule: WindowRule,
    n: number,
  ) {
    this.knownBefore = new Uint16Array(n);
    this.badBefore = new Uint16Array(n);
    this.knownAfter = new Uint16Array(n);
    this.badAfter = new Uint16Array(n);
    this.outcomes = new Int8Array(n).fill(-1);
    this.moved = new Int32Array(n);
    this.marked = new Uint8Array(n);
  }
}

/** Every node's outcome per signal around one τ, and per signal the nodes whose counts moved since
 * the sweep's previous τ (null: any may have). */
export interface SweptOutcomes {
  outcomes: readonly Int8Array[];
  changed: readonly (Int32Array | null)[];
}

export class CellSweep {
  private states: SignalState[] = [];
  /** The states by the position of their two bits in a cell (shift / 2). */
  private byShift: (SignalState | undefined)[] = [];
  /** The τ the counts are for; -1 before the first. */
  private tau = -1;
  private nodes = 0;
  private moved = { nodes: new Int32Array(0), cells: new Int32Array(0), count: 0 };
  /** The last call gave no changes to build on (a start, new nodes, a τ without outcomes). */
  private whole = true;

  /** Per field, the rule with that signal's worsenShare (`worsenShares`, else the rule's). */
  private readonly rules: readonly WindowRule[];

  constructor(
    private readonly columns: readonly Uint16Array[],
    private readonly fields: readonly CellField[],
    readonly rule: WindowRule,
    worsenShares: readonly number[] = [],
  ) {
    this.rules = fields.map((_, f) => ({ ...rule, worsenShare: worsenShares[f] ?? rule.worsenShare }));
  }

  /**
   * Every node's outcomes around `tau` (1, 0, or -1 for none), valid until the next call; `tau` never below
   * the last call's, its after-window in the scans. Nodes added since the last call start with nothing
   * counted: they were added after the scans that call had read.
   */
  outcomesAt(tau: number, nodeCount: number): SweptOutcomes {
    let whole = this.whole;
    for (const state of this.states) {
      for (let j = 0; j < state.movedCount; j += 1) state.marked[state.moved[j]] = 0;
      state.movedCount = 0;
    }
    if (this.tau < 0 || tau < this.tau) {
      this.start(tau, nodeCount);
      whole = true;
    } else {
      if (nodeCount > this.nodes) {
        this.grow(nodeCount);
        whole = true;
      }
      for (let next = this.tau + 1; next <= tau; next += 1) this.step(next);
    }
    // Outcomes are worked out once per τ asked, for the nodes whose counts moved on the way.
    const atTau = this.cellsAtTau();
    for (const state of this.states) {
      for (let j = 0; j < state.movedCount; j += 1) this.judgeNode(state, state.moved[j], atTau);
    }
    // Before τ = w there is no full before-window: no outcomes (the counts go on, clipped at scan 0).
    this.whole = tau - this.rule.w < 0;
    if (this.whole) {
      const none = new Int8Array(this.nodes).fill(-1);
      return { outcomes: this.states.map(() => none), changed: this.states.map(() => null) };
    }
    return {
      outcomes: this.states.map((state) => state.outcomes),
      changed: this.states.map((state) => (whole ? null : state.moved.subarray(0, state.movedCount))),
    };
  }

  /** The fields are two-bit codes (cells.ts SIGNAL_FIELDS): a state is found by its bits' place. */
  private setStates(states: SignalState[]): void {
    this.states = states;
    this.byShift = [];
    for (const state of states) this.byShift[state.field.shift >> 1] = state;
  }

  private grow(n: number): void {
    this.setStates(
      this.states.map((old) => {
        const state = new SignalState(old.field, old.rule, Math.max(n, 2 * old.outcomes.length));
        state.knownBefore.set(old.knownBefore);
        state.badBefore.set(old.badBefore);
        state.knownAfter.set(old.knownAfter);
        state.badAfter.set(old.badAfter);
        state.outcomes.set(old.outcomes);
        return state;
      }),
    );
    this.nodes = n;
  }

  private start(tau: number, n: number): void {
    const { w } = this.rule;
    this.setStates(this.fields.map((field, f) => new SignalState(field, this.rules[f], n)));
    this.nodes = n;
    this.tau = tau;
    for (let scan = Math.max(0, tau - w); scan < tau; scan += 1) this.count(scan, n, 'before', 1);
    for (let scan = tau + 1; scan <= tau + w && scan < this.columns.length; scan += 1) this.count(scan, n, 'after', 1);
    const atTau = this.cellsAtTau();
    for (const state of this.states) for (let i = 0; i < n; i += 1) this.judgeNode(state, i, atTau);
  }

  private count(scan: number, n: number, side: 'before' | 'after', sign: number): void {
    const column = this.columns[scan];
    for (const state of this.states) {
      const known = side === 'before' ? state.knownBefore : state.knownAfter;
      const bad = side === 'before' ? state.badBefore : state.badAfter;
      const { shift, mask, codes } = state.field;
      for (let i = 0; i < Math.min(n, column.length); i += 1) {
        const code = codes[(column[i] >>> shift) & mask];
        if (code === CELL_UNKNOWN) continue;
        known[i] += sign;
        if (code === CELL_BAD) bad[i] += sign;
      }
    }
  }

  /**
   * Moves τ to `next` (τ + 1): the before-window trades cell τ − w for τ, the after-window τ + 1 for τ + w + 1,
   * and the cell at τ becomes the one at τ + 1. Per moved node only the signals whose two bits differ are
   * recounted.
   */
  private step(next: number): void {
    const { w } = this.rule;
    const tau = next - 1;
    const moved = this.movedCells(tau - w, tau, tau + 1, next + w);
    const { nodes, cells } = moved;
    for (let j = 0; j < moved.count; j += 1) {
      const i = nodes[j];
      const leavesBefore = cells[4 * j];
      const entersBefore = cells[4 * j + 1];
      const leavesAfter = cells[4 * j + 2];
      const entersAfter = cells[4 * j + 3];
      // The old τ's cell enters the before-window, the new τ's leaves the after-window: known at τ or not.
      let bits =
        (leavesBefore ^ entersBefore) |
        (leavesAfter ^ entersAfter) |
        (knownBits(entersBefore) ^ knownBits(leavesAfter));
      while (bits !== 0) {
        const shift = (31 - Math.clz32(bits & -bits)) & ~1;
        bits &= ~(3 << shift);
        const state = this.byShift[shift >> 1];
        if (state === undefined) continue;
        if (((leavesBefore ^ entersBefore) >>> shift) & 3) {
          move(state.knownBefore, state.badBefore, i, (leavesBefore >>> shift) & 3, -1);
          move(state.knownBefore, state.badBefore, i, (entersBefore >>> shift) & 3, 1);
        }
        if (((leavesAfter ^ entersAfter) >>> shift) & 3) {
          move(state.knownAfter, state.badAfter, i, (leavesAfter >>> shift) & 3, -1);
          move(state.knownAfter, state.badAfter, i, (entersAfter >>> shift) & 3, 1);
        }
        this.markMoved(state, i);
      }
    }
    this.tau = next;
  }

  /** The nodes whose cell leaving a window differs from the one entering it, with the four cells. */
  private movedCells(leavingBefore: number, enteringBefore: number, leavingAfter: number, enteringAfter: number) {
    const n = this.nodes;
    if (this.moved.nodes.length < n) this.moved = { nodes: new Int32Array(n), cells: new Int32Array(4 * n), count: 0 };
    const moved = this.moved;
    const at = (scan: number): Uint16Array => (scan >= 0 && scan < this.columns.length ? this.columns[scan] : NONE);
    const lb = at(leavingBefore);
    const eb = at(enteringBefore);
    const la = at(leavingAfter);
    const ea = at(enteringAfter);
    const whole = Math.min(n, lb.length, eb.length, la.length, ea.length);
    let count = 0;
    for (let i = 0; i < n; i += 1) {
      const inside = i < whole;
      const c0 = inside || i < lb.length ? lb[i] : 0;
      const c1 = inside || i < eb.length ? eb[i] : 0;
      const c2 = inside || i < la.length ? la[i] : 0;
      const c3 = inside || i < ea.length ? ea[i] : 0;
      if (c0 === c1 && c2 === c3 && knownBits(c1) === knownBits(c2)) continue;
      moved.nodes[count] = i;
      moved.cells[4 * count] = c0;
      moved.cells[4 * count + 1] = c1;
      moved.cells[4 * count + 2] = c2;
      moved.cells[4 * count + 3] = c3;
      count += 1;
    }
    moved.count = count;
    return moved;
  }

  /** The scan at τ: whether a node is known there decides whether it has an outcome. */
  private cellsAtTau(): Uint16Array {
    return this.tau < this.columns.length ? this.columns[this.tau] : NONE;
  }

  /** didStats.worsenedAround from the counts and the node's cell at τ. */
  private judgeNode(state: SignalState, i: number, atTau: Uint16Array): void {
    const { knownBefore, badBefore, knownAfter, badAfter, field } = state;
    const known = field.codes[((i < atTau.length ? atTau[i] : 0) >>> field.shift) & field.mask] !== CELL_UNKNOWN;
    state.outcomes[i] = outcomeOfCounts(state.rule, known, knownBefore[i], badBefore[i], knownAfter[i], badAfter[i]);
  }

  /** Notes a node whose counts moved (once per call). */
  private markMoved(state: SignalState, i: number): void {
    if (state.marked[i] === 1) return;
    state.marked[i] = 1;
    state.moved[state.movedCount] = i;
    state.movedCount += 1;
  }
}

function move(known: Uint16Array, bad: Uint16Array, i: number, code: number, sign: number): void {
  if (code === CELL_UNKNOWN) return;
  known[i] += sign;
  if (code === CELL_BAD) bad[i] += sign;
}
