/**
 * From evidence to promote / halt / wait / inconclusive (docs/gate.md). Every
 * criterion is printed with its measured value and its threshold. Health
 * criteria come in pairs: `….upper` is met when the bound says "not worse
 * than the threshold" (needed to promote); `….lower` is unmet when the bound
 * says "worse than the threshold" (halt, even before the soak ends). The
 * bounds of a look are at that look's share of the error (src/stats/spending.ts),
 * so the gate may be asked after every scan. Pure.
 */
import { differenceBounds, wilsonBounds, type Bounds } from '../../stats/intervals';
import { lookConfidence } from '../../stats/spending';
import type { GateEvidence } from './evidence';
import type { GateSettings } from './gateSettings';

export type Verdict = 'promote' | 'halt' | 'wait' | 'inconclusive';

export interface Criterion {
  name: string;
  met: boolean;
  /** The measured value; null when there is nothing to measure yet. */
  value: number | null;
  threshold: number;
}

/** What the evidence says about the two health shares at this look, with the look's bounds. */
export interface HealthBounds {
  confidence: number | null;
  dark: Bounds | null;
  crashLoop: Bounds | null;
  switchFail: Bounds | null;
}

/** Names of the criteria that halt the release when unmet. */
export const HALT_CRITERIA: ReadonlySet<string> = new Set([
  'health.dark.lower',
  'health.crash-loop.lower',
  'health.switch-fail.lower',
]);

function round(value: number | null, digits = 6): number | null {
  if (value === null) return null;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function atLeast(name: string, value: number | null, threshold: number): Criterion {
  return { name, met: value !== null && value >= threshold, value: round(value, 4), threshold };
}

function atMost(name: string, value: number | null, threshold: number): Criterion {
  return { name, met: value !== null && value <= threshold, value: round(value, 4), threshold };
}

/** The pair of health criteria for one bound against one threshold. */
function healthPair(name: string, bounds: Bounds | null, threshold: number): Criterion[] {
  return [
    {
      name: `${name}.upper`,
      met: bounds !== null && bounds.high <= threshold,
      value: round(bounds?.high ?? null),
      threshold,
    },
    {
      name: `${name}.lower`,
      met: bounds === null || bounds.low <= threshold,
      value: round(bounds?.low ?? null),
      threshold,
    },
  ];
}

/** The confidence of the look at T: null at the scan it reached preprod and right after a gap (no time watched). */
export function confidenceOfLook(evidence: GateEvidence, settings: GateSettings): number | null {
  const { hoursSinceReached: now, previousHoursSinceReached: before } = evidence;
  if (now === null || before === null) return null;
  return lookConfidence(before, now, settings.confidence, settings.spendingHalfLifeHours);
}

export function healthBounds(evidence: GateEvidence, settings: GateSettings): HealthBounds {
  const c = confidenceOfLook(evidence, settings);
  if (c === null) return { confidence: null, dark: null, crashLoop: null, switchFail: null };
  const { dark, crashLoops, switchFailures } = evidence;
  return {
    confidence: c,
    dark: differenceBounds(dark.release.dark, dark.release.nodes, dark.baseline.dark, dark.baseline.nodes, c),
    crashLoop: wilsonBounds(crashLoops.count, crashLoops.of, c),
    switchFail: wilsonBounds(switchFailures.count, switchFailures.of, c),
  };
}

/** `lastScanAgeHours`: hours from the last scan to the time judged (null: not known, e.g. in a simulation). */
export function criteriaOf(
  evidence: GateEvidence,
  settings: GateSettings,
  lastScanAgeHours: number | null,
): Criterion[] {
  const reached = evidence.reachedAt !== null;
  const bounds = healthBounds(evidence, settings);
  const { uptake } = evidence;
  return [
    atLeast('exposure.soak-hours', evidence.hoursSinceReached, settings.minSoakHours),
    atLeast('exposure.preprod-nodes', reached ? evidence.preprodNodes : null, settings.minPreprodNodes),
    atLeast('exposure.node-hours', reached ? evidence.nodeHours : null, settings.minNodeHours),
    atLeast('uptake', uptake.of > 0 ? uptake.on / uptake.of : null, settings.minUptake),
    atMost('freshness.last-scan-age', evidence.at === null ? null : (lastScanAgeHours ?? 0), settings.maxScanAgeHours),
    atLeast('freshness.scans-per-day', evidence.at === null ? null : evidence.scansLastDay, settings.minScansPerDay),
    ...healthPair('health.dark', bounds.dark, settings.darkMargin),
    ...healthPair('health.crash-loop', bounds.crashLoop, settings.maxCrashLoopShare),
    ...healthPair('health.switch-fail', bounds.switchFail, settings.maxSwitchFailShare),
  ];
}

/**
 * halt if any halting criterion is unmet; promote if every criterion is met;
 * inconclusive once `inconclusiveAfterHours` were watched without either;
 * otherwise wait.
 */
export function verdictOf(
  criteria: readonly Criterion[],
  hoursWatched: number | null,
  settings: GateSettings,
): Verdict {
  if (criteria.some((criterion) => HALT_CRITERIA.has(criterion.name) && !criterion.met)) return 'halt';
  if (criteria.every((criterion) => criterion.met)) return 'promote';
  return hoursWatched !== null && hoursWatched >= settings.inconclusiveAfterHours ? 'inconclusive' : 'wait';
}

export interface Judgement {
  verdict: Verdict;
  criteria: Criterion[];
}

export function judge(
  evidence: GateEvidence,
  settings: GateSettings,
  lastScanAgeHours: number | null = null,
): Judgement {
  const criteria = criteriaOf(evidence, settings, lastScanAgeHours);
  const verdict = evidence.reachedAt === null ? 'wait' : verdictOf(criteria, evidence.hoursSinceReached, settings);
  return { verdict, criteria };
}
