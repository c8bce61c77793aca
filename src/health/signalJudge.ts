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
  /** Nodes that ever reported the release, in the order they did. */
  releaseNodes(): readonly number[];
  /** Every node whose release, platform or provider was set or changed, in order (appended, never cut). */
  readonly changedNodes: readonly number[];
  /** One node's outcome around `tau` (1, 0, or -1 for none), τ's after-window passed. */
  outcomeOf(node: number, tau: number, did: DidSettings): number;
}

/** Tally groups: 0 the fleet, 1 ArcaneOS, 2 the rest, 3 + id a provider. */
const ALL = 0;
const platformGroup = (arcane: boolean): number => (arcane ? 1 : 2);
const providerGroup = (id: number): number => (id < 0 ? -1 : 3 + id);

/** Production nodes with an outcome and production nodes that worsened, per group. */
interface Tally {
  nodes: number[];
  worsened: number[];
}

/** A production node's tally membership as a number: (provider + 1) · 2 + arcane; -1 when not production. */
function membershipOf(view: NodeView, node: number): number {
  if (view.releaseAt(node) >= 0) return -1;
  return (view.providerOf(node) + 1) * 2 + (view.arcane(node) ? 1 : 0);
}

function countIn(tally: Tally, group: number, outcome: number, sign: number): void {
  tally.nodes[group] = (tally.nodes[group] ?? 0) + sign;
  tally.worsened[group] = (tally.worsened[group] ?? 0) + sign * outcome;
}

/** Adds (sign 1) or removes (-1) one production node's outcome in the fleet, platform and provider groups. */
function count(tally: Tally, membership: number, outcome: number, sign: number): void {
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
  /** Production tallies around each release scan tallied so far. */
  private tallies = new Map<number, Tally>();
  /** The running tally: production outcomes around the last τ tallied (`current`), by membership. */
  private running: Tally = { nodes: [], worsened: [] };
  private current = new Int8Array(0);
  /** Each release node's outcome around its release scan; -2 until tallied. */
  private releaseOutcomes = new Int8Array(0);
  private byTau = new Map<number, number[]>();
  private releaseSeen = 0;
  private membership = new Int32Array(0);
  private changedSeen = 0;
  /** Production nodes per provider id, as `membership` has them. */
  private readonly productionByProvider: number[] = [];
  private readonly hints = new Map<string, ShareBounds>();

  constructor(private readonly view: NodeView) {}

  /**
   * Release scans whose after-window has passed at `look` and that are not tallied yet, ascending: the
   * caller hands each one's outcomes to `tally` (the ledger sweeps them for all signals at once).
   */
  pendingTaus(look: number, did: DidSettings): number[] {
    this.sync(did);
    return [...this.byTau.keys()]
      .filter((tau) => tau + did.windowScans <= look && !this.tallies.has(tau))
      .sort((a, b) => a - b);
  }

  /**
   * Tallies production around `tau` from every node's outcome there; τs in ascending order. `changed`, when
   * given, holds every node whose outcome may differ from the τ tallied before (the sweep knows them).
   */
  tally(tau: number, outcomes: ArrayLike<number>, changed?: ArrayLike<number>): void {
    const update = (i: number): void => {
      const outcome = i < outcomes.length ? outcomes[i] : -1;
      if (outcome === this.current[i]) return;
      count(this.running, this.membership[i], this.current[i], -1);
      count(this.running, this.membership[i], outcome, 1);
      this.current[i] = outcome;
    };
    if (changed === undefined) for (let i = 0; i < this.view.nodeCount; i += 1) update(i);
    else for (let j = 0; j < changed.length; j += 1) update(changed[j]);
    this.tallies.set(tau, { nodes: [...this.running.nodes], worsened: [...this.running.worsened] });
    for (const node of this.byTau.get(tau) ?? []) this.releaseOutcomes[node] = i8(outcomes, node);
  }

  /** The signal at `look` (a scan index); looks may only move forward. */
  judge(look: number, settings: StrataSettings): SignalJudgement {
    for (const tau of this.pendingTaus(look, settings.did)) {
      const outcomes = new Int8Array(this.view.nodeCount);
      for (let i = 0; i < outcomes.length; i += 1) outcomes[i] = this.view.outcomeOf(i, tau, settings.did);
      this.tally(tau, outcomes);
    }
    return this.judgeTallied(look, settings);
  }

  private judgeTallied(look: number, settings: StrataSettings): SignalJudgement {
    const alphaPerStratum = settings.alpha / (3 + settings.maxProviders);
    const providers = this.providerStrata(settings.maxProviders);
    const counts = [...Array(3 + providers.length)].map(() => new Map<number, [number, number]>());
    const add = (stratum: number, baseline: number, worsened: number): void => {
      const entry = counts[stratum].get(baseline) ?? [0, 0];
      entry[worsened === 1 ? 0 : 1] += 1;
      counts[stratum].set(baseline, entry);
    };
    for (const node of this.view.releaseNodes()) {
      const tau = this.view.releaseAt(node);
      const tally = tau + settings.did.windowScans <= look ? this.tallies.get(tau) : undefined;
      const worsened = this.releaseOutcomes[node];
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
      const bounds = judged ? this.boundsAt(stratum, groups, alphaPerStratum) : undefined;
      // The whole fleet's upper bound promotes: at the promote level (strataTypes.ts, promoteAlpha).
      if (bounds && s === 0) bounds.high = this.boundsAt(stratum, groups, settings.promoteAlpha).high;
      return stratumResult(stratum, groups.nodes, bounds, settings.haltMargin);
    });
    return {
      strata,
      alphaPerStratum,
      halt: strata.some((r) => r.harm),
      notWorse: strata[0].judged && strata[0].bounds.high <= settings.margin,
    };
  }

  /** A stratum's bounds at `alpha`, searched from the last look's bounds at the same level. */
  private boundsAt(stratum: string, groups: ReturnType<typeof groupsOf>, alpha: number) {
    const hintKey = `${alpha} ${stratum}`;
    const bounds = boundsOfGroups(groups, alpha, this.hints.get(hintKey));
    this.hints.set(hintKey, bounds);
    return { ...bounds };
  }

  private stratumName(id: number): string {
    return `provider:${this.view.providerName(id)}`;
  }

  private countProvider(membership: number, sign: number): void {
    const provider = (membership >> 1) - 1;
    if (membership < 0 || provider < 0) return;
    this.productionByProvider[provider] = (this.productionByProvider[provider] ?? 0) + sign;
  }

  /** Starts over when the window rule changes; grows per-node arrays; moves changed nodes between tallies. */
  private sync(did: DidSettings): void {
    const n = this.view.nodeCount;
    if (!sameDid(this.did, did)) {
      this.did = did;
      this.tallies = new Map();
      this.running = { nodes: [], worsened: [] };
      this.current = new Int8Array(0);
      this.releaseOutcomes = new Int8Array(0);
    }
    this.current = grownTo(this.current, n, -1);
    this.releaseOutcomes = grownTo(this.releaseOutcomes, n, -2);
    this.membership = grownTo(this.membership, n, -1);
    const release = this.view.releaseNodes();
    for (; this.releaseSeen < release.length; this.releaseSeen += 1) {
      const node = release[this.releaseSeen];
      const tau = this.view.releaseAt(node);
      this.byTau.set(tau, [...(this.byTau.get(tau) ?? []), node]);
    }
    for (; this.changedSeen < this.view.changedNodes.length; this.changedSeen += 1) {
      const node = this.view.changedNodes[this.changedSeen];
      const now = membershipOf(this.view, node);
      const before = this.membership[node];
      if (now === before) continue;
      count(this.running, before, this.current[node], -1);
      count(this.running, now, this.current[node], 1);
      for (const [tau, tally] of this.tallies) {
        const outcome = this.view.outcomeOf(node, tau, did);
        count(tally, before, outcome, -1);
        count(tally, now, outcome, 1);
      }
      this.membership[node] = now;
      this.countProvider(before, -1);
      this.countProvider(now, 1);
    }
  }

  /** The providers judged as strata: most production nodes first (ties by name), at most `max`. */
  private providerStrata(max: number): number[] {
    const ranked: { id: number; nodes: number; name: string }[] = [];
    this.productionByProvider.forEach((nodes, id) => {
      if (nodes > 0) ranked.push({ id, nodes, name: this.stratumName(id) });
    });
    return ranked
      .sort((a, b) => b.nodes - a.nodes || (a.name < b.name ? -1 : 1))
      .slice(0, max)
      .map((p) => p.id);
  }
}

function i8(values: ArrayLike<number>, i: number): number {
  return i < values.length ? values[i] : -1;
}

function grownTo<T extends Int8Array | Int32Array>(array: T, size: number, fill: number): T {
  if (array.length >= size) return array;
  const copy = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2));
  copy.fill(fill);
  copy.set(array);
  return copy;
}

/**
 * A production share with its zero floored at half a node (docs/health.md "A baseline of none"): none of
 * 1,000 nodes worsening says the share is below about 1/1,000, not that it is 0; taken as 0, a single
 * release node that worsens by chance is impossible under the null and halts the release alone.
 */
export function floorShare(worsened: number, nodes: number): number {
  return Math.max(worsened, 0.5) / nodes;
}

/** The first group with `minBaselineNodes` outcomes, else the fleet's share; null when nobody has one. */
function baselineOf(tally: Tally, groups: readonly number[], settings: StrataSettings): number | null {
  for (const group of groups) {
    const nodes = group < 0 ? 0 : (tally.nodes[group] ?? 0);
    if (nodes >= settings.minBaselineNodes) return floorShare(tally.worsened[group] ?? 0, nodes);
  }
  const nodes = tally.nodes[ALL] ?? 0;
  return nodes > 0 ? floorShare(tally.worsened[ALL] ?? 0, nodes) : null;
}
