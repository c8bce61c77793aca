/**
 * One signal judged at a look, incrementally (docs/health.md "Strata", "Speed"). Pure: no I/O, no clock.
 *
 * What a look costs is kept to what is new since the look before. A node's outcome around a release scan τ
 * is fixed once τ's after-window has passed (didStats.ts), so each τ's outcomes of every node are computed
 * once, and with them the production tally around τ (nodes with an outcome and nodes that worsened, for
 * the fleet, each platform and each provider). A node that takes the release or changes platform or
 * provider later is moved between the tallies it counts in, so a look sees exactly the tallies a fresh
 * judge would. The release nodes' outcomes are then grouped by baseline per stratum (eProcess.ts), and each
 * stratum's bounds are searched from the bounds of the look before, which only speeds the search.
 */
import type { DidSettings } from './didStats';
import { boundsOfGroups, groupsOf, type ShareBounds } from './eProcess';
import { stratumResult, type SignalJudgement, type StrataSettings } from './strataTypes';

/** What the judge reads of the nodes: a ledger (ledger.ts) or a list of series (strata.ts). */
export interface NodeView {
  readonly nodeCount: number;
  /** Scan at which the node first reported the release; -1 for a production node. */
  releaseAt(node: number): number;
  arcane(node: number): boolean;
  /** The node's provider as an interned id, -1 when unknown. */
  providerOf(node: number): number;
  providerName(id: number): string;
  /** Nodes that ever reported the release. */
  releaseNodes(): readonly number[];
  /** Every node whose release, platform or provider was set or changed, in order (appended, never cut). */
  readonly changedNodes: readonly number[];
  /** Every node's outcome around `tau` (1, 0, or -1 for none) into `out`, for a look with τ's window passed. */
  outcomesAround(tau: number, look: number, did: DidSettings, out: Int8Array): void;
}

/** Tally groups: 0 the fleet, 1 ArcaneOS, 2 the rest, 3 + id a provider. */
const ALL = 0;
const platformGroup = (arcane: boolean): number => (arcane ? 1 : 2);
const providerGroup = (id: number): number => (id < 0 ? -1 : 3 + id);

/** Production outcomes around one release scan: per group, nodes with an outcome and nodes that worsened. */
interface TauTally {
  outcomes: Int8Array;
  nodes: number[];
  worsened: number[];
}

/** A production node's tally membership as a number: (provider + 1) · 2 + arcane; -1 when not production. */
function membershipOf(view: NodeView, node: number): number {
  if (view.releaseAt(node) >= 0) return -1;
  return (view.providerOf(node) + 1) * 2 + (view.arcane(node) ? 1 : 0);
}

function countIn(tally: TauTally, group: number, outcome: number, sign: number): void {
  tally.nodes[group] = (tally.nodes[group] ?? 0) + sign;
  tally.worsened[group] = (tally.worsened[group] ?? 0) + sign * outcome;
}

/** Adds (sign 1) or removes (-1) one production node's outcome in the fleet, platform and provider groups. */
function count(tally: TauTally, membership: number, outcome: number, sign: number): void {
  if (membership < 0 || outcome < 0) return;
  countIn(tally, ALL, outcome, sign);
  countIn(tally, platformGroup((membership & 1) === 1), outcome, sign);
  const provider = (membership >> 1) - 1;
  if (provider >= 0) countIn(tally, providerGroup(provider), outcome, sign);
}

function sameDid(a: DidSettings | null, b: DidSettings): boolean {
  return (
    a !== null &&
    a.windowScans === b.windowScans &&
    a.worsenShare === b.worsenShare &&
    a.minKnownShare === b.minKnownShare
  );
}

export class SignalJudge {
  private did: DidSettings | null = null;
  private tallies = new Map<number, TauTally>();
  private membership = new Int32Array(0);
  private seen = 0;
  private readonly hints = new Map<string, ShareBounds>();

  constructor(private readonly view: NodeView) {}

  /** The signal at `look` (a scan index); looks may only move forward. */
  judge(look: number, settings: StrataSettings): SignalJudgement {
    this.update(look, settings.did);
    const alphaPerStratum = settings.alpha / (3 + settings.maxProviders);
    const providers = this.providerStrata(settings.maxProviders);
    const counts = [...Array(3 + providers.length)].map(() => new Map<number, [number, number]>());
    const add = (stratum: number, baseline: number, worsened: number): void => {
      const entry = counts[stratum].get(baseline) ?? [0, 0];
      entry[worsened === 1 ? 0 : 1] += 1;
      counts[stratum].set(baseline, entry);
    };
    for (const node of this.view.releaseNodes()) {
      const tally = this.tallies.get(this.view.releaseAt(node));
      const worsened = tally === undefined ? -1 : (tally.outcomes[node] ?? -1);
      if (tally === undefined || worsened < 0) continue;
      const provider = this.view.providerOf(node);
      const arcane = this.view.arcane(node);
      const matched = baselineOf(tally, [providerGroup(provider), platformGroup(arcane)], settings);
      const fleet = baselineOf(tally, [], settings);
      if (matched === null || fleet === null) continue;
      add(0, fleet, worsened);
      add(arcane ? 1 : 2, matched, worsened);
      const rank = providers.indexOf(provider);
      if (rank >= 0) add(3 + rank, matched, worsened);
    }
    const names = ['all', 'platform:arcane', 'platform:other', ...providers.map((id) => this.stratumName(id))];
    const strata = names.map((stratum, s) => {
      const groups = groupsOf(counts[s]);
      const judged = groups.nodes >= (s === 0 ? 1 : settings.minStratumNodes) && groups.nodes > 0;
      const hintKey = `${alphaPerStratum} ${stratum}`;
      const bounds = judged ? boundsOfGroups(groups, alphaPerStratum, this.hints.get(hintKey)) : undefined;
      if (bounds) this.hints.set(hintKey, bounds);
      return stratumResult(stratum, groups.nodes, bounds, settings.haltMargin);
    });
    return {
      strata,
      alphaPerStratum,
      halt: strata.some((r) => r.harm),
      notWorse: strata[0].judged && strata[0].bounds.high <= settings.margin,
    };
  }

  private stratumName(id: number): string {
    return `provider:${this.view.providerName(id)}`;
  }

  /** Moves changed nodes between tallies, then tallies every release scan whose window has passed. */
  private update(look: number, did: DidSettings): void {
    if (!sameDid(this.did, did)) {
      this.did = did;
      this.tallies = new Map();
    }
    const view = this.view;
    if (this.membership.length < view.nodeCount) {
      const grown = new Int32Array(Math.max(view.nodeCount, this.membership.length * 2)).fill(-1);
      grown.set(this.membership);
      this.membership = grown;
    }
    for (; this.seen < view.changedNodes.length; this.seen += 1) {
      const node = view.changedNodes[this.seen];
      const now = membershipOf(view, node);
      const before = this.membership[node];
      if (now === before) continue;
      for (const tally of this.tallies.values()) {
        const outcome = node < tally.outcomes.length ? tally.outcomes[node] : -1;
        count(tally, before, outcome, -1);
        count(tally, now, outcome, 1);
      }
      this.membership[node] = now;
    }
    for (const node of view.releaseNodes()) {
      const tau = view.releaseAt(node);
      if (tau + did.windowScans > look || this.tallies.has(tau)) continue;
      const tally: TauTally = { outcomes: new Int8Array(view.nodeCount), nodes: [], worsened: [] };
      view.outcomesAround(tau, look, did, tally.outcomes);
      for (let i = 0; i < view.nodeCount; i += 1) count(tally, this.membership[i], tally.outcomes[i], 1);
      this.tallies.set(tau, tally);
    }
  }

  /** The providers judged as strata: most production nodes first (ties by name), at most `max`. */
  private providerStrata(max: number): number[] {
    const counts = new Map<number, number>();
    for (let node = 0; node < this.view.nodeCount; node += 1) {
      const membership = this.membership[node];
      const provider = (membership >> 1) - 1;
      if (membership >= 0 && provider >= 0) counts.set(provider, (counts.get(provider) ?? 0) + 1);
    }
    return [...counts]
      .map(([id, nodes]) => ({ id, nodes, name: this.stratumName(id) }))
      .sort((a, b) => b.nodes - a.nodes || (a.name < b.name ? -1 : 1))
      .slice(0, max)
      .map((p) => p.id);
  }
}

/** The first group with `minBaselineNodes` outcomes, else the fleet's share; null when nobody has one. */
function baselineOf(tally: TauTally, groups: readonly number[], settings: StrataSettings): number | null {
  for (const group of groups) {
    const nodes = group < 0 ? 0 : (tally.nodes[group] ?? 0);
    if (nodes >= settings.minBaselineNodes) return (tally.worsened[group] ?? 0) / nodes;
  }
  const nodes = tally.nodes[ALL] ?? 0;
  return nodes > 0 ? (tally.worsened[ALL] ?? 0) / nodes : null;
}
