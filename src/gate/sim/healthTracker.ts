/**
 * The statistics of judgeHealth() (src/health/ledger.ts, strata.ts,
 * didStats.ts, eProcess.ts) kept incrementally for the release simulator,
 * which asks them at every hourly look of thousands of runs. Pure.
 *
 * Same rules, fed more directly: per node and signal the per-scan values
 * (GOOD, BAD, UNKNOWN from the real SIGNAL_RULES) are kept as running counts,
 * so a node's difference within itself (worsenedAround) costs O(1); a release
 * node's outcome is taken once, at the first look its after-window has
 * passed, against production's worsened share around its scan τ, tallied
 * once per τ at that look; each stratum keeps the running log-likelihood
 * sums of eProcess.logEValue at its halt margin and at its promote margin.
 * The one difference from judgeHealth(): a production node that later
 * reaches the release stays in the baselines tallied before it did (the
 * ledger would drop it from them at later looks). test/unit/gate/sim/health.test.ts
 * checks the verdicts against a real HealthLedger on the same scans.
 */
import { BAD, type DidSettings, UNKNOWN } from '../../health/didStats';
import { alternativeCount, alternativeShare, clamp, type Outcome, shareBounds } from '../../health/eProcess';
import type { HealthJudgement } from '../../health/ledger';
import type { SignalRule } from '../../health/signalRules';
import { floorShare } from '../../health/signalJudge';
import { STRATA_DEFAULTS, type StratumResult } from '../../health/strata';

/** The term one outcome adds to eProcess.logEValue's sum for its alternative `index` (the same formula). */
export function eTerm(o: Outcome, margin: number, direction: 'above' | 'below', index: number): number {
  const p = clamp(o.baseline + margin);
  const theta = alternativeShare(p, direction, index);
  return o.worsened === 1 ? Math.log(theta / p) : Math.log((1 - theta) / (1 - p));
}

function logMeanExp(sums: Float64Array): number {
  let max = -Infinity;
  for (const v of sums) max = Math.max(max, v);
  if (max === -Infinity) return -Infinity;
  let total = 0;
  for (const v of sums) total += Math.exp(v - max);
  return max + Math.log(total) - Math.log(sums.length);
}

/** One stratum of one signal: its outcomes and the running e-value sums at the two margins. */
class StratumSums {
  readonly outcomes: Outcome[] = [];
  readonly halt = new Float64Array(alternativeCount('above'));
  readonly promote = new Float64Array(alternativeCount('below'));
  /** Sum of worsened − baseline: the estimate times the nodes. */
  difference = 0;
  constructor(
    private readonly haltMargin: number,
    private readonly margin: number,
  ) {}

  add(o: Outcome): void {
    this.outcomes.push(o);
    this.difference += o.worsened - o.baseline;
    for (let d = 0; d < this.halt.length; d += 1) this.halt[d] += eTerm(o, this.haltMargin, 'above', d);
    for (let d = 0; d < this.promote.length; d += 1) this.promote[d] += eTerm(o, this.margin, 'below', d);
  }
}

export interface StrataLabels {
  arcane: Uint8Array;
  /** Index into `providerNames` per node; -1 when unknown. */
  provider: Int16Array;
  providerNames: readonly string[];
}

export interface TrackerSettings {
  /** Chance of any false halt over all signals, strata and looks (judgeHealth's `alpha`). Default 0.01. */
  alpha: number;
  maxProviders: number;
  minStratumNodes: number;
  minBaselineNodes: number;
  did: DidSettings;
  /** Compute each stratum's bounds (eProcess.shareBounds) at every look; the verdict needs only the tests. */
  withBounds: boolean;
  /** Level of every signal's promote test (judgeHealth's `promoteAlpha`). Default 0.05. */
  promoteAlpha: number;
}

export const TRACKER_DEFAULTS: TrackerSettings = Object.freeze({ ...STRATA_DEFAULTS, withBounds: false });

/** Every signal of one simulated fleet. Nodes are indices 0..n-1; scans are added in order. */
export class HealthTracker {
  /** Per signal: bad and known counts before each scan, scan-major ((maxScans + 1) × n) so a scan writes in order. */
  private readonly bad: Uint8Array[];
  private readonly known: Uint8Array[];
  private readonly releaseAt: Int32Array;
  private readonly pending: number[] = [];
  private readonly sums: Map<string, StratumSums>[];
  private scans = 0;

  constructor(
    private readonly n: number,
    maxScans: number,
    private readonly rules: readonly SignalRule[],
    private readonly labels: StrataLabels,
    private readonly settings: TrackerSettings = TRACKER_DEFAULTS,
  ) {
    if (maxScans > 254) throw new RangeError(`Expected at most 254 scans, got ${maxScans}.`);
    this.bad = rules.map(() => new Uint8Array(n * (maxScans + 1)));
    this.known = rules.map(() => new Uint8Array(n * (maxScans + 1)));
    this.releaseAt = new Int32Array(n).fill(-1);
    this.sums = rules.map(() => new Map());
  }

  get scanCount(): number {
    return this.scans;
  }

  /** Node i's value of signal k at the current scan (call once per node and signal, then endScan()). */
  record(k: number, i: number, value: number): void {
    const at = this.scans * this.n + i;
    this.bad[k][at + this.n] = this.bad[k][at] + (value === BAD ? 1 : 0);
    this.known[k][at + this.n] = this.known[k][at] + (value === UNKNOWN ? 0 : 1);
  }

  /** Node i first reported the release at the current scan. */
  reachedRelease(i: number): void {
    if (this.releaseAt[i] !== -1) return;
    this.releaseAt[i] = this.scans;
    this.pending.push(i);
  }

  isOnRelease(i: number): boolean {
    return this.releaseAt[i] !== -1;
  }

  endScan(): void {
    this.scans += 1;
  }

  /** didStats.worsenedAround from the running counts. */
  worsened(k: number, i: number, tau: number, look: number): 0 | 1 | null {
    const { windowScans: w, minKnownShare } = this.settings.did;
    const { worsenShare } = this.rules[k];
    if (tau - w < 0 || tau + w > look) return null;
    const minKnown = Math.ceil(w * minKnownShare);
    const known = this.known[k];
    const bad = this.bad[k];
    const n = this.n;
    const from = (tau - w) * n + i;
    const at = tau * n + i;
    const next = at + n;
    const to = (tau + w + 1) * n + i;
    // Known at τ itself (didStats.worsenedAround): known[next] − known[at] counts scan τ.
    if (known[next] - known[at] === 0) return null;
    const knownBefore = known[at] - known[from];
    const knownAfter = known[to] - known[next];
    if (knownBefore < minKnown || knownBefore === 0 || knownAfter < minKnown || knownAfter === 0) return null;
    const before = (bad[at] - bad[from]) / knownBefore;
    const after = (bad[to] - bad[next]) / knownAfter;
    return after - before >= worsenShare - 1e-9 ? 1 : 0;
  }

  private platformKey(i: number): string {
    return this.labels.arcane[i] === 1 ? 'platform:arcane' : 'platform:other';
  }

  private providerKey(i: number): string | null {
    const p = this.labels.provider[i];
    return p < 0 ? null : `provider:${this.labels.providerNames[p]}`;
  }

  /**
   * Production's worsened tallies around τ, for every signal: per group (0 the fleet, 1 ArcaneOS, 2 the
   * rest, 3 + p provider p) the nodes with an outcome and those that worsened, at [2g] and [2g + 1].
   */
  private baselines(tau: number, look: number): Int32Array[] {
    const groups = 3 + this.labels.providerNames.length;
    const tallies = this.rules.map(() => new Int32Array(2 * groups));
    for (let i = 0; i < this.n; i += 1) {
      if (this.releaseAt[i] !== -1) continue;
      const platform = this.labels.arcane[i] === 1 ? 1 : 2;
      const provider = this.labels.provider[i];
      for (let k = 0; k < this.rules.length; k += 1) {
        const outcome = this.worsened(k, i, tau, look);
        if (outcome === null) continue;
        const t = tallies[k];
        t[0] += 1;
        t[1] += outcome;
        t[2 * platform] += 1;
        t[2 * platform + 1] += outcome;
        if (provider >= 0) {
          t[2 * (3 + provider)] += 1;
          t[2 * (3 + provider) + 1] += outcome;
        }
      }
    }
    return tallies;
  }

  private stratum(k: number, key: string): StratumSums {
    let sums = this.sums[k].get(key);
    if (!sums) {
      sums = new StratumSums(this.rules[k].haltMargin, this.rules[k].margin);
      this.sums[k].set(key, sums);
    }
    return sums;
  }

  /** Takes the outcomes of release nodes whose after-window has passed by `look`. */
  private complete(look: number): void {
    const w = this.settings.did.windowScans;
    const byTau = new Map<number, Int32Array[]>();
    const keep: number[] = [];
    for (const i of this.pending) {
      const tau = this.releaseAt[i];
      if (tau + w > look) {
        keep.push(i);
        continue;
      }
      let tallies = byTau.get(tau);
      if (!tallies) {
        tallies = this.baselines(tau, look);
        byTau.set(tau, tallies);
      }
      for (let k = 0; k < this.rules.length; k += 1) this.addNode(k, i, tau, look, tallies[k]);
    }
    this.pending.splice(0, this.pending.length, ...keep);
  }

  private addNode(k: number, i: number, tau: number, look: number, tally: Int32Array): void {
    const worsened = this.worsened(k, i, tau, look);
    if (worsened === null) return;
    const shareOf = (g: number): number | null =>
      tally[2 * g] > 0 ? floorShare(tally[2 * g + 1], tally[2 * g]) : null;
    const enough = (g: number) => tally[2 * g] >= this.settings.minBaselineNodes;
    const p = this.labels.provider[i];
    const platform = this.labels.arcane[i] === 1 ? 1 : 2;
    const fleet = shareOf(0);
    const matched = p >= 0 && enough(3 + p) ? shareOf(3 + p) : enough(platform) ? shareOf(platform) : fleet;
    if (matched === null || fleet === null) return;
    this.stratum(k, 'all').add({ worsened, baseline: fleet });
    this.stratum(k, this.platformKey(i)).add({ worsened, baseline: matched });
    const provider = this.providerKey(i);
    if (provider !== null) this.stratum(k, provider).add({ worsened, baseline: matched });
  }

  /** The providers judged as strata: most production nodes first (ties by name), as strata.providerStrata. */
  private providerStrata(): string[] {
    const counts = new Int32Array(this.labels.providerNames.length);
    for (let i = 0; i < this.n; i += 1) {
      const p = this.labels.provider[i];
      if (this.releaseAt[i] === -1 && p >= 0) counts[p] += 1;
    }
    return [...counts]
      .map((count, p): [string, number] => [`provider:${this.labels.providerNames[p]}`, count])
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, this.settings.maxProviders)
      .map(([key]) => key);
  }
  /** The release judged by every signal at the last scan added, as judgeHealth() gives it. */
  judge(): HealthJudgement {
    const look = this.scans - 1;
    this.complete(look);
    const s = this.settings;
    const alpha = s.alpha / Math.max(1, this.rules.length);
    const alphaPerStratum = alpha / (3 + s.maxProviders);
    const threshold = Math.log(1 / alphaPerStratum);
    // Not split across signals: an intersection–union test (judgeHealth's promoteAlpha).
    const promoteAlpha = s.promoteAlpha;
    const keys = ['all', 'platform:arcane', 'platform:other', ...this.providerStrata()];
    const signals = this.rules.map((rule, k) => {
      const strata: StratumResult[] = keys.map((stratum, index) => {
        const sums = this.sums[k].get(stratum);
        const nodes = sums?.outcomes.length ?? 0;
        const judged = nodes >= (index === 0 ? 1 : s.minStratumNodes) && nodes > 0;
        // As strata.judgeSignal: a stratum not judged has the bounds of no evidence.
        const estimate = judged && sums ? sums.difference / nodes : 0;
        const bounds =
          s.withBounds && sums && judged
            ? shareBounds(sums.outcomes, alphaPerStratum)
            : { estimate, low: -1, high: 1, nodes };
        // As signalJudge.ts: the whole fleet's upper bound is at the promote level.
        if (s.withBounds && sums && judged && index === 0) bounds.high = shareBounds(sums.outcomes, promoteAlpha).high;
        const harm = judged && sums !== undefined && logMeanExp(sums.halt) >= threshold;
        return { stratum, judged, bounds: { ...bounds, nodes }, harm };
      });
      const all = this.sums[k].get('all');
      const promoteThreshold = Math.log(1 / promoteAlpha);
      const notWorse = strata[0].judged && all !== undefined && logMeanExp(all.promote) >= promoteThreshold;
      return {
        name: rule.name,
        judgement: { strata, alphaPerStratum, halt: strata.some((r) => r.harm), notWorse },
      };
    });
    return {
      signals,
      halt: signals.some((x) => x.judgement.halt),
      notWorse: signals.length > 0 && signals.every((x) => x.judgement.notWorse),
    };
  }
}
