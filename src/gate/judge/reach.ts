/**
 * What a fleet of this size can show (docs/gate.md, "Which harm this fleet
 * can detect"): the smallest harm halted by the look at 24 h in ≥ 95% of releases that carry it, and whether the
 * promote thresholds can be met at all at the end of the soak. Small fleets
 * and low probabilities are told up front, not left waiting. Pure.
 */
import { differenceBounds, normalQuantile, wilsonBounds } from '../../stats/intervals';
import { lookConfidence } from '../../stats/spending';
import type { GateSettings } from './gateSettings';

export interface Detectable {
  /** Release-group and baseline sizes the statement is for. */
  releaseNodes: number;
  baselineNodes: number;
  /** Smallest share of release nodes in crash-loop that a look at 24 h halts; null: none up to 100%. */
  crashLoopShare: number | null;
  /** Smallest extra dark share (over the baseline's) that a look at 24 h halts; null: none up to 100%. */
  darkShare: number | null;
  /**
   * A healthy release with production's dark share and 0.2% background crash loops meets every health bound
   * at the end of the soak. When false, promote is not assured: it takes a luckier sample, or ends inconclusive.
   */
  promoteReachable: boolean;
}

/** The confidence of an hourly look at `hours` watched. */
function hourlyLook(hours: number, settings: GateSettings, halfLife = settings.spendingHalfLifeHours): number {
  return (
    lookConfidence(Math.max(0, hours - 1), Math.max(1, hours), settings.confidence, halfLife) ?? settings.confidence
  );
}

/**
 * The stated harm is one the gate halts in at least this share of releases
 * that carry it, not one it halts only when the sample happens to show all
 * of it (that is a coin toss): its count is taken at its 5th percentile.
 */
const DETECTION_POWER = 0.95;

/** The count of `n` nodes at the low `1 − DETECTION_POWER` quantile of a share `mean` with extra variance. */
function lowCount(mean: number, n: number, extraVariance = 0): number {
  const sd = Math.sqrt((mean * (1 - mean)) / n + extraVariance);
  const low = mean - normalQuantile(DETECTION_POWER) * sd;
  return Math.max(0, Math.min(n, Math.floor(low * n)));
}

function smallestShare(halts: (share: number) => boolean): number | null {
  for (let step = 1; step <= 200; step += 1) if (halts(step / 200)) return step / 200;
  return null;
}

/** `baselineDarkShare`: the share of baseline nodes dark at a time (measured, or assumed before any). */
export function detectableHarm(
  releaseNodes: number,
  baselineNodes: number,
  baselineDarkShare: number,
  settings: GateSettings,
): Detectable {
  const n = Math.max(0, Math.round(releaseNodes));
  const nb = Math.max(0, Math.round(baselineNodes));
  const xb = Math.round(baselineDarkShare * nb);
  const at24 = hourlyLook(24, settings);
  // The first promoting look, at the end of the soak, spends the first hour of the promote budget.
  const atSoak = hourlyLook(1, settings, settings.promoteHalfLifeHours);
  const darkOf = (share: number) => Math.min(n, Math.round(share * n));
  const crashLoopShare = smallestShare(
    (h) => n > 0 && (wilsonBounds(lowCount(h, n), n, at24)?.low ?? 0) > settings.crashLoopHaltShare,
  );
  // Halting is judged against the halt thresholds, promoting against the promote margin (docs/gate.md).
  const margin = Math.max(settings.darkMargin, settings.darkRelativeMargin * baselineDarkShare);
  // The baseline's own share varies too; its variance widens the release count's low quantile.
  const baselineVariance = nb > 0 ? (baselineDarkShare * (1 - baselineDarkShare)) / nb : 0;
  const darkShare = smallestShare(
    (h) =>
      n > 0 &&
      (differenceBounds(lowCount(Math.min(1, baselineDarkShare + h), n, baselineVariance), n, xb, nb, at24)?.low ?? 0) >
        settings.darkHaltMargin,
  );
  const background = darkOf(0.002);
  const crashOk = (wilsonBounds(background, n, atSoak)?.high ?? 1) <= settings.maxCrashLoopShare;
  const darkOk = (differenceBounds(darkOf(baselineDarkShare), n, xb, nb, atSoak)?.high ?? 1) <= margin;
  return { releaseNodes: n, baselineNodes: nb, crashLoopShare, darkShare, promoteReachable: crashOk && darkOk };
}

/**
 * The default fleet (13,000 nodes, p = 0.07, ~890 release nodes) halts 2.5% crash loops and 3 points of extra
 * darkness by the rule above; a fleet that cannot halt 6% of either by 24 h is told so.
 */
const WARN_ABOVE_SHARE = 0.06;

const pct = (share: number | null) => (share === null ? 'no share up to 100%' : `${Math.round(share * 1000) / 10}%`);

/** One-sentence warnings for a report, empty when the thresholds fit the fleet. */
export function reachWarnings(d: Detectable, settings: GateSettings): string[] {
  const out: string[] = [];
  const statement =
    `with ${d.releaseNodes} release nodes this gate halts, by 24 h, crash-loops in ${pct(d.crashLoopShare)} ` +
    `of them and ${pct(d.darkShare)} more dark nodes than production`;
  if (!d.promoteReachable)
    out.push(
      `${statement}; a typical healthy release does not meet the health bounds by the end of the soak, so the ` +
        `verdict may stay wait and become inconclusive after ${settings.inconclusiveAfterHours} h: ` +
        'lower confidence or widen the margins.',
    );
  else if ((d.crashLoopShare ?? 1) > WARN_ABOVE_SHARE || (d.darkShare ?? 1) > WARN_ABOVE_SHARE)
    out.push(`${statement}.`);
  return out;
}
