/**
 * The health side of a history, scan by scan, and the release judged by every
 * signal (docs/health.md). Pure: no I/O, no clock; scans are added in order.
 * This is the piece the gate's history and judge will call: the history
 * stores what `stored()` gives (encode.ts), the judge asks `judgeHealth()`.
 */
import { isAnswered, type NodeResult } from '../fleet/classify';
import { SIGNAL_FIELDS, seriesOfCells, windowRule, type WindowRule } from './cells';
import { CellSweep } from './cellSweep';
import type { DidSettings } from './didStats';
import { CellStore, type WordScanEntry } from './cellStore';
import { fromWord, healthWord, toStored, type StoredHealth } from './encode';
import { SIGNAL_RULES, type SignalName, type SignalRule } from './signalRules';
import { blockLags } from './signals';
import { SignalJudge } from './signalJudge';
import { STRATA_DEFAULTS, type HealthNode, type SignalJudgement, type StrataSettings } from './strata';

export type { WordScanEntry } from './cellStore';

/** One answering node of a scan, as the history keeps it. */
export interface StoredScanEntry {
  key: string;
  stored: StoredHealth;
  preprod: boolean;
  commit: string | null;
}

const NO_RARE = { bootMinute: null, provider: null, country: null };

/**
 * Keyed by `host:port` in a Map: addresses come from the node list, never plain-object keys. Three ways in,
 * one store: `addScan` (scan results), `addStoredScan` (what a history stores), and `addWordScan` (health
 * words by node index, from `nodeIndex(key)`: the fast path of the history reader and the simulator).
 * Judging is incremental: `judgeHealth` after every added scan costs what the new scans add (signalJudge.ts).
 */
export class HealthLedger {
  private readonly store = new CellStore();
  private readonly judges = new Map<SignalName, SignalJudge>();
  private sweep: CellSweep | null = null;
  /** Per signal, whether its judge took every τ the sweep gave. */
  private inStep: boolean[] = [];
  /** The worsenShare each signal was last judged with, and the shares the sweep was made with. */
  private readonly worsenShares = new Map<SignalName, number>();
  private sweepShares: readonly number[] = [];

  /** @param releaseCommit the release judged: a node is on it when it reports this commit as a preprod node. */
  constructor(readonly releaseCommit: string) {}

  get scanCount(): number {
    return this.store.columns.length;
  }

  get nodeCount(): number {
    return this.store.keys.length;
  }

  /** The node's index for `addWordScan`, added on first sight. */
  nodeIndex(key: string): number {
    return this.store.nodeIndex(key);
  }

  /** Adds one scan's results (any order, each node at most once), as the history would store them. */
  addScan(results: readonly NodeResult[]): void {
    const answered = results.filter((r) => isAnswered(r.kind) && r.health !== undefined);
    const lags = blockLags(answered.map((r) => r.health?.blocks ?? null));
    this.addStoredScan(
      answered.map((result, i) => {
        const key = `${result.host}:${result.port}`;
        const health = result.health as NonNullable<NodeResult['health']>;
        const known = this.store.nodeIndex(key);
        const last = this.store.lastWords[known];
        const previous = last < 0 ? null : fromWord(last, NO_RARE);
        return {
          key,
          stored: toStored(health, lags[i], result.ms, previous),
          preprod: (result.kind === 'degraded' ? result.state : result.kind) === 'preprod',
          commit: result.commit ?? null,
        };
      }),
    );
  }

  /**
   * Adds one scan as the history keeps it: per answering node its stored health, whether it said it runs
   * preprod and its commit.
   */
  addStoredScan(entries: readonly StoredScanEntry[]): void {
    this.addWordScan(
      entries.map((entry) => ({
        node: this.store.nodeIndex(entry.key),
        word: healthWord(entry.stored),
        bootMinute: entry.stored.bootMinute,
        provider: entry.stored.provider,
        onRelease: entry.preprod && entry.commit === this.releaseCommit,
      })),
    );
  }

  /**
   * Adds one scan as health words: every answering node once, by its index from `nodeIndex(key)`; a node
   * left out did not answer. A degraded node's word says so (its platform then stays the last known).
   */
  addWordScan(entries: Iterable<WordScanEntry>): void {
    this.store.addWordScan(entries);
  }

  /**
   * Adds one scan as the last one with changes: `changed` holds every node that answers now and either did
   * not answer the last scan or has another entry (word, boot minute, provider, release) than then;
   * `silent` every node that answered the last scan and not this one (indices from `nodeIndex`). The same
   * as `addWordScan` with every answering node, for a tenth of the work when a tenth of the fleet changes.
   */
  addChangedScan(changed: Iterable<WordScanEntry>, silent: Iterable<number>): void {
    this.store.addChangedScan(changed, silent);
  }

  /** Every node's series of one signal, with its release scan and strata. */
  healthNodes(rule: SignalRule): HealthNode[] {
    const store = this.store;
    return store.keys.map((_, node) => ({
      releaseAt: store.releaseScans[node] < 0 ? null : store.releaseScans[node],
      arcane: store.arcaneFlags[node] === 1,
      provider: store.providerOf[node] < 0 ? null : store.providers[store.providerOf[node]],
      series: seriesOfCells(store.columns, node, SIGNAL_FIELDS[rule.name]),
    }));
  }

  /** One signal judged at the last scan; the work of earlier looks is kept for the next. */
  judgeSignal(name: SignalName, settings: StrataSettings): SignalJudgement {
    this.prepare(name, settings.did);
    return this.judgeOf(name).judge(this.scanCount - 1, settings);
  }

  private judgeOf(name: SignalName): SignalJudge {
    let judge = this.judges.get(name);
    if (judge === undefined) {
      judge = new SignalJudge(this.store.viewOf(SIGNAL_FIELDS[name]));
      this.judges.set(name, judge);
    }
    return judge;
  }

  /** Tallies every signal's pending release scans in one sweep through the cells (cellSweep.ts). */
  private prepare(judged: SignalName, did: DidSettings): void {
    const look = this.scanCount - 1;
    // Each signal's own rise (signalRules.ts): the one judged now as its settings say, the rest as their rules.
    this.worsenShares.set(judged, did.worsenShare);
    const shares = SIGNAL_RULES.map((r) => this.worsenShares.get(r.name) ?? r.worsenShare);
    const judges = SIGNAL_NAMES.map((name) => this.judgeOf(name));
    const pending = judges.map((judge, s) => new Set(judge.pendingTaus(look, { ...did, worsenShare: shares[s] })));
    const taus = [...new Set(pending.flatMap((set) => [...set]))].sort((a, b) => a - b);
    if (taus.length === 0) return;
    const rule = windowRule(did);
    if (this.sweep === null || !sameRule(this.sweep.rule, rule) || !sameShares(this.sweepShares, shares)) {
      this.inStep = SIGNAL_NAMES.map(() => false);
      this.sweep = new CellSweep(
        this.store.columns,
        SIGNAL_NAMES.map((name) => SIGNAL_FIELDS[name]),
        rule,
        shares,
      );
      this.sweepShares = shares;
    }
    for (const tau of taus) {
      const swept = this.sweep.outcomesAt(tau, this.store.keys.length);
      judges.forEach((judge, s) => {
        // A judge that took the sweep's every τ so far needs only the nodes whose outcome moved.
        const changed = this.inStep[s] ? (swept.changed[s] ?? undefined) : undefined;
        this.inStep[s] = pending[s].has(tau);
        if (this.inStep[s]) judge.tally(tau, swept.outcomes[s], changed);
      });
    }
  }
}

const SIGNAL_NAMES: readonly SignalName[] = SIGNAL_RULES.map((rule) => rule.name);

function sameShares(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((share, i) => share === b[i]);
}

/** The windows only: each signal's worsenShare is compared by sameShares. */
function sameRule(a: WindowRule, b: WindowRule): boolean {
  return a.w === b.w && a.minKnown === b.minKnown;
}

export interface HealthJudgement {
  signals: { name: SignalName; judgement: SignalJudgement }[];
  /** Some signal halts in some stratum. */
  halt: boolean;
  /** Every signal's whole-fleet upper bound is within its margin. */
  notWorse: boolean;
}

export interface JudgeHealthOptions {
  /** Signals judged; default all of SIGNAL_RULES. */
  signals?: readonly SignalName[];
  /** Chance of any false halt over all signals, strata and looks; split equally across signals. Default 0.01. */
  alpha?: number;
  /**
   * Chance of promoting a release whose harm on some signal is beyond that signal's margin. Each signal's
   * promote test runs at this level whole, split neither across signals nor strata: a promote needs every
   * signal's test to pass, so a release harmful on one signal is promoted only if that signal's test fails,
   * which happens with chance at most this (an intersection–union test). Default 0.05, the gate's own
   * 1 − confidence.
   */
  promoteAlpha?: number;
  /** Other strata settings (strata.ts); margins come from each signal's rule. */
  strata?: Partial<Omit<StrataSettings, 'margin' | 'haltMargin' | 'alpha' | 'promoteAlpha'>>;
}

/** The release judged by every enabled signal at the ledger's last scan. */
export function judgeHealth(ledger: HealthLedger, options: JudgeHealthOptions = {}): HealthJudgement {
  const enabled = SIGNAL_RULES.filter((rule) => options.signals?.includes(rule.name) ?? true);
  const alpha = (options.alpha ?? STRATA_DEFAULTS.alpha) / Math.max(1, enabled.length);
  const promoteAlpha = options.promoteAlpha ?? STRATA_DEFAULTS.promoteAlpha;
  const signals = enabled.map((rule) => {
    const { margin, haltMargin, worsenShare } = rule;
    const did = { ...(options.strata?.did ?? STRATA_DEFAULTS.did), worsenShare };
    const settings = { ...STRATA_DEFAULTS, ...options.strata, did, alpha, promoteAlpha, margin, haltMargin };
    return { name: rule.name, judgement: ledger.judgeSignal(rule.name, settings) };
  });
  return {
    signals,
    halt: signals.some((s) => s.judgement.halt),
    notWorse: signals.length > 0 && signals.every((s) => s.judgement.notWorse),
  };
}
