/**
 * One signal judged for the whole fleet and per stratum (docs/health.md
 * "Strata"). Pure: the look is a scan index.
 *
 * Strata: all nodes; ArcaneOS and the rest; and the `maxProviders` hosting
 * providers with the most production nodes, each when it has at least
 * `minStratumNodes` release nodes with an outcome. A harm confined to one
 * stratum halts even when the whole-fleet figure is within the margin.
 * Multiple comparisons: Bonferroni over a number of strata fixed in advance
 * (3 + maxProviders, whether or not each is judged at a look), so the chance
 * of any false halt over all strata and all looks stays ≤ alpha.
 *
 * Each release node is compared with production nodes of its own stratum
 * over the same hours when that group has `minBaselineNodes` outcomes
 * (provider, else platform, else the fleet): a provider's outage then
 * cancels instead of being charged to the release.
 */
import { DID_DEFAULTS, worsenedAround, type DidSettings, type SignalSeries } from './didStats';
import { shareBounds, type Outcome, type ShareBounds } from './eProcess';

export interface HealthNode {
  /** Scan at which the node first reported the release; null for a production node. */
  releaseAt: number | null;
  arcane: boolean;
  provider: string | null;
  series: SignalSeries;
}

export interface StrataSettings {
  /** Chance of any false halt of this signal over all strata and looks. Default 0.01. */
  alpha: number;
  /**
   * Harm accepted for promotion: the whole fleet's upper bound of release worsened share − production
   * worsened share must be within it. Per signal (signalRules.ts).
   */
  margin: number;
  /** A stratum halts when its lower bound of that difference is above this. Per signal (signalRules.ts). */
  haltMargin: number;
  /** Provider strata at most. Default 4. */
  maxProviders: number;
  /** Release nodes with an outcome a stratum needs to be judged. Default 50. */
  minStratumNodes: number;
  /**
   * Production nodes with an outcome a stratum needs to be its own baseline. Default 1000: the baseline
   * is taken as exact, and with 1,000 nodes a 1% share is known to ±0.3 points (one standard error).
   */
  minBaselineNodes: number;
  did: DidSettings;
}

export const STRATA_DEFAULTS: Readonly<Omit<StrataSettings, 'margin' | 'haltMargin'>> = Object.freeze({
  alpha: 0.01,
  maxProviders: 4,
  minStratumNodes: 50,
  minBaselineNodes: 1000,
  did: DID_DEFAULTS,
});

export interface StratumResult {
  /** `all`, `platform:arcane`, `platform:other` or `provider:<name>` (a name from a node: a value, never a key). */
  stratum: string;
  /** Whether the stratum had enough release nodes to be judged at this look. */
  judged: boolean;
  bounds: ShareBounds;
  /** The lower bound shows harm beyond the halt margin. */
  harm: boolean;
}

export interface SignalJudgement {
  strata: StratumResult[];
  /** Level of each stratum's bounds: alpha / (3 + maxProviders). */
  alphaPerStratum: number;
  /** Some judged stratum shows harm beyond the halt margin. */
  halt: boolean;
  /** The whole fleet's upper bound is within the margin (the promote side). */
  notWorse: boolean;
}

const PLATFORM = (node: HealthNode): string => (node.arcane ? 'platform:arcane' : 'platform:other');
const PROVIDER = (node: HealthNode): string | null => (node.provider === null ? null : `provider:${node.provider}`);

/** Production worsened shares around one scan, tallied per group key; computed once per scan τ. */
function baselinesAround(production: readonly HealthNode[], tau: number, look: number, settings: StrataSettings) {
  const tally = new Map<string, { nodes: number; worsened: number }>();
  const add = (key: string | null, outcome: 0 | 1): void => {
    if (key === null) return;
    const entry = tally.get(key) ?? { nodes: 0, worsened: 0 };
    entry.nodes += 1;
    entry.worsened += outcome;
    tally.set(key, entry);
  };
  for (const node of production) {
    const outcome = worsenedAround(node.series, tau, look, settings.did);
    if (outcome === null) continue;
    add('all', outcome);
    add(PLATFORM(node), outcome);
    add(PROVIDER(node), outcome);
  }
  return (keys: (string | null)[]): number | null => {
    for (const key of keys) {
      const entry = key === null ? undefined : tally.get(key);
      if (entry && entry.nodes >= settings.minBaselineNodes) return entry.worsened / entry.nodes;
    }
    const all = tally.get('all');
    return all && all.nodes > 0 ? all.worsened / all.nodes : null;
  };
}

/** The providers judged as strata: most production nodes first (ties by name), at most maxProviders. */
export function providerStrata(production: readonly HealthNode[], maxProviders: number): string[] {
  const counts = new Map<string, number>();
  for (const node of production) {
    const key = PROVIDER(node);
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxProviders)
    .map(([key]) => key);
}

interface Contribution {
  node: HealthNode;
  outcome: Outcome;
  /** The outcome against the fleet-wide baseline, for the `all` stratum. */
  fleetOutcome: Outcome;
}

function contributions(nodes: readonly HealthNode[], look: number, settings: StrataSettings): Contribution[] {
  const production = nodes.filter((node) => node.releaseAt === null);
  const byTau = new Map<number, ReturnType<typeof baselinesAround>>();
  const out: Contribution[] = [];
  for (const node of nodes) {
    if (node.releaseAt === null) continue;
    const worsened = worsenedAround(node.series, node.releaseAt, look, settings.did);
    if (worsened === null) continue;
    let baselines = byTau.get(node.releaseAt);
    if (!baselines) {
      baselines = baselinesAround(production, node.releaseAt, look, settings);
      byTau.set(node.releaseAt, baselines);
    }
    const matched = baselines([PROVIDER(node), PLATFORM(node)]);
    const fleet = baselines([]);
    if (matched === null || fleet === null) continue;
    out.push({ node, outcome: { worsened, baseline: matched }, fleetOutcome: { worsened, baseline: fleet } });
  }
  return out;
}

/** One signal at one look: every stratum's bounds and whether any halts. */
export function judgeSignal(nodes: readonly HealthNode[], look: number, settings: StrataSettings): SignalJudgement {
  const alphaPerStratum = settings.alpha / (3 + settings.maxProviders);
  const all = contributions(nodes, look, settings);
  const production = nodes.filter((node) => node.releaseAt === null);
  const strata: [string, (c: Contribution) => boolean][] = [
    ['platform:arcane', (c) => c.node.arcane],
    ['platform:other', (c) => !c.node.arcane],
    ...providerStrata(production, settings.maxProviders).map((key): [string, (c: Contribution) => boolean] => [
      key,
      (c) => PROVIDER(c.node) === key,
    ]),
  ];
  const judge = (stratum: string, outcomes: Outcome[], minNodes: number): StratumResult => {
    const judged = outcomes.length >= minNodes && outcomes.length > 0;
    const bounds = shareBounds(judged ? outcomes : [], alphaPerStratum);
    return {
      stratum,
      judged,
      bounds: { ...bounds, nodes: outcomes.length },
      harm: judged && bounds.low > settings.haltMargin,
    };
  };
  const results = [
    judge(
      'all',
      all.map((c) => c.fleetOutcome),
      1,
    ),
    ...strata.map(([stratum, inStratum]) =>
      judge(
        stratum,
        all.filter(inStratum).map((c) => c.outcome),
        settings.minStratumNodes,
      ),
    ),
  ];
  return {
    strata: results,
    alphaPerStratum,
    halt: results.some((r) => r.harm),
    notWorse: results[0].judged && results[0].bounds.high <= settings.margin,
  };
}
