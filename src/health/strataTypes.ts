/**
 * The settings and results of judging one signal by strata (strata.ts, signalJudge.ts). Pure.
 */
import { DID_DEFAULTS, type DidSettings } from './didStats';
import type { ShareBounds } from './eProcess';

export interface StrataSettings {
  /** Chance of any false halt of this signal over all strata and looks. Default 0.01. */
  alpha: number;
  /**
   * Chance of a false promote on this signal: the level of the whole fleet's upper bound, the one bound that
   * promotes. Not split across strata (no stratum promotes) and spent from its own budget, as the gate's
   * other criteria spend theirs. Default 0.05.
   */
  promoteAlpha: number;
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
  promoteAlpha: 0.05,
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
  /** Level of each stratum's bounds: alpha / (3 + maxProviders); the whole fleet's upper bound is at promoteAlpha. */
  alphaPerStratum: number;
  /** Some judged stratum shows harm beyond the halt margin. */
  halt: boolean;
  /** The whole fleet's upper bound is within the margin (the promote side). */
  notWorse: boolean;
}

/** A stratum's result: `bounds` undefined when it had too few release nodes to be judged at this look. */
export function stratumResult(
  stratum: string,
  nodes: number,
  bounds: ShareBounds | undefined,
  haltMargin: number,
): StratumResult {
  return {
    stratum,
    judged: bounds !== undefined,
    bounds: { ...(bounds ?? { estimate: 0, low: -1, high: 1 }), nodes },
    harm: bounds !== undefined && bounds.low > haltMargin,
  };
}
