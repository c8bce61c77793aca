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
import { worsenedAround, type DidSettings, type SignalSeries } from './didStats';
import { SignalJudge, type NodeView } from './signalJudge';
import type { SignalJudgement, StrataSettings } from './strataTypes';

export {
  STRATA_DEFAULTS,
  type SignalJudgement,
  type StrataSettings,
  type StratumResult,
} from './strataTypes';

export interface HealthNode {
  /** Scan at which the node first reported the release; null for a production node. */
  releaseAt: number | null;
  arcane: boolean;
  provider: string | null;
  series: SignalSeries;
}

/** The providers judged as strata: most production nodes first (ties by name), at most maxProviders. */
export function providerStrata(production: readonly HealthNode[], maxProviders: number): string[] {
  const counts = new Map<string, number>();
  for (const node of production) {
    const key = node.provider === null ? null : `provider:${node.provider}`;
    if (key !== null) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxProviders)
    .map(([key]) => key);
}

/** A list of nodes with their series, as the judge reads them (providers interned in order of first sight). */
class SeriesView implements NodeView {
  readonly changedNodes: readonly number[];
  private readonly release: number[];
  private readonly providerIds: number[];
  private readonly providers: string[] = [];

  constructor(private readonly nodes: readonly HealthNode[]) {
    const ids = new Map<string, number>();
    this.providerIds = nodes.map((node) => {
      if (node.provider === null) return -1;
      const id = ids.get(node.provider) ?? this.providers.push(node.provider) - 1;
      ids.set(node.provider, id);
      return id;
    });
    this.changedNodes = nodes.map((_, i) => i);
    this.release = this.changedNodes.filter((i) => nodes[i].releaseAt !== null);
  }

  get nodeCount(): number {
    return this.nodes.length;
  }
  releaseAt(node: number): number {
    return this.nodes[node].releaseAt ?? -1;
  }
  arcane(node: number): boolean {
    return this.nodes[node].arcane;
  }
  providerOf(node: number): number {
    return this.providerIds[node];
  }
  providerName(id: number): string {
    return this.providers[id];
  }
  releaseNodes(): readonly number[] {
    return this.release;
  }
  outcomeOf(node: number, tau: number, did: DidSettings): number {
    return worsenedAround(this.nodes[node].series, tau, tau + did.windowScans, did) ?? -1;
  }
}

/** One signal at one look: every stratum's bounds and whether any halts. */
export function judgeSignal(nodes: readonly HealthNode[], look: number, settings: StrataSettings): SignalJudgement {
  return new SignalJudge(new SeriesView(nodes)).judge(look, settings);
}
