/**
 * The health side of a history, scan by scan, and the release judged by every
 * signal (docs/health.md). Pure: no I/O, no clock; scans are added in order.
 * This is the piece the gate's history and judge will call: the history
 * stores what `stored()` gives (encode.ts), the judge asks `judgeHealth()`.
 */
import { isAnswered, type NodeResult } from '../fleet/classify';
import { toStored, type StoredHealth } from './encode';
import { SIGNAL_RULES, seriesOf, type SignalName, type SignalRule } from './signalRules';
import { blockLags } from './signals';
import { STRATA_DEFAULTS, judgeSignal, type HealthNode, type SignalJudgement, type StrataSettings } from './strata';

interface NodeRecord {
  /** Stored health per scan; null where the node did not answer or was not asked. */
  stored: (StoredHealth | null)[];
  releaseAt: number | null;
  arcane: boolean;
  provider: string | null;
}

/** One answering node of a scan, as the history keeps it. */
export interface StoredScanEntry {
  key: string;
  stored: StoredHealth;
  preprod: boolean;
  commit: string | null;
}

/** Keyed by `host:port` in a Map: addresses come from the node list, never plain-object keys. */
export class HealthLedger {
  private readonly nodes = new Map<string, NodeRecord>();
  private scans = 0;

  /** @param releaseCommit the release judged: a node is on it when it reports this commit as a preprod node. */
  constructor(private readonly releaseCommit: string) {}

  get scanCount(): number {
    return this.scans;
  }

  /** Adds one scan's results (any order, each node at most once), as the history would store them. */
  addScan(results: readonly NodeResult[]): void {
    const answered = results.filter((r) => isAnswered(r.kind) && r.health !== undefined);
    const lags = blockLags(answered.map((r) => r.health?.blocks ?? null));
    this.addStoredScan(
      answered.map((result, i) => {
        const key = `${result.host}:${result.port}`;
        const health = result.health as NonNullable<NodeResult['health']>;
        const previous = lastKnown(this.nodes.get(key)?.stored ?? []);
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
   * preprod and its commit. The judge rebuilds a ledger from the history this way.
   */
  addStoredScan(entries: readonly StoredScanEntry[]): void {
    const scan = this.scans;
    for (const entry of entries) {
      const record = this.nodes.get(entry.key) ?? { stored: [], releaseAt: null, arcane: false, provider: null };
      // Degraded scans know nothing of these: the last known values stand.
      if (entry.stored.degraded === null) record.arcane = entry.stored.arcane;
      record.provider = entry.stored.provider ?? record.provider;
      // Shared, not copied, when nothing is filled in: a history rebuilds 13,000 nodes × 720 hours from a few
      // changed values, and a copy per node and hour would hold gigabytes.
      const provider = record.provider;
      record.stored[scan] = entry.stored.provider === provider ? entry.stored : { ...entry.stored, provider };
      if (record.releaseAt === null && entry.preprod && entry.commit === this.releaseCommit) record.releaseAt = scan;
      this.nodes.set(entry.key, record);
    }
    this.scans += 1;
  }

  /** Every node's series of one signal, with its release scan and strata. */
  healthNodes(rule: SignalRule): HealthNode[] {
    return [...this.nodes.values()].map((record) => {
      const stored = Array.from({ length: this.scans }, (_, scan) => record.stored[scan] ?? null);
      return {
        releaseAt: record.releaseAt,
        arcane: record.arcane,
        provider: record.provider,
        series: seriesOf(stored, rule),
      };
    });
  }
}

function lastKnown(stored: readonly (StoredHealth | null)[]): StoredHealth | null {
  for (let scan = stored.length - 1; scan >= 0; scan -= 1) {
    const value = stored[scan];
    if (value) return value;
  }
  return null;
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
  /** Other strata settings (strata.ts); margins come from each signal's rule. */
  strata?: Partial<Omit<StrataSettings, 'margin' | 'haltMargin' | 'alpha'>>;
}

/** The release judged by every enabled signal at the ledger's last scan. */
export function judgeHealth(ledger: HealthLedger, options: JudgeHealthOptions = {}): HealthJudgement {
  const enabled = SIGNAL_RULES.filter((rule) => options.signals?.includes(rule.name) ?? true);
  const alpha = (options.alpha ?? STRATA_DEFAULTS.alpha) / Math.max(1, enabled.length);
  const look = ledger.scanCount - 1;
  const signals = enabled.map((rule) => {
    const settings = { ...STRATA_DEFAULTS, ...options.strata, alpha, margin: rule.margin, haltMargin: rule.haltMargin };
    return { name: rule.name, judgement: judgeSignal(ledger.healthNodes(rule), look, settings) };
  });
  return {
    signals,
    halt: signals.some((s) => s.judgement.halt),
    notWorse: signals.length > 0 && signals.every((s) => s.judgement.notWorse),
  };
}
