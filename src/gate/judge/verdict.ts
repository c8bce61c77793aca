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
import { round6 } from '../../stats/round6';
import type { DarkGroups, GateEvidence, Stratum } from './evidence';
import type { GateSettings } from './gateSettings';

export type Verdict = 'promote' | 'halt' | 'wait' | 'inconclusive';

export interface Criterion {
  name: string;
  met: boolean;
  /** The measured value; null when there is nothing to measure yet. */
  value: number | null;
  threshold: number;
}

/** The health bounds of one look at one confidence. */
export interface HealthBounds {
  confidence: number | null;
  dark: Bounds | null;
  darkEarly: Bounds | null;
  crashLoop: Bounds | null;
  switchFail: Bounds | null;
  /** Per platform stratum, each at its Bonferroni share of the error (docs/gate.md, "Strata"). */
  strata: { stratum: Stratum; dark: Bounds | null; crashLoop: Bounds | null }[];
}

/** A look's bounds for halting (its `low`s) and for promoting (its `high`s), each with its own error budget. */
export interface LookBounds {
  halt: HealthBounds;
  promote: HealthBounds;
}

/**
 * Whether a criterion halts the release when unmet: by convention every `….lower` criterion does (the
 * lower bound of a harm shows it beyond its threshold), whoever adds it (dark, crash-loop, switch-fail,
 * their strata, the health signals of docs/health.md).
 */
export function isHaltCriterion(name: string): boolean {
  return name.endsWith('.lower');
}

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

/** A promoting health criterion: met when the upper bound is within the threshold. */
function upperCriterion(name: string, promote: Bounds | null, threshold: number): Criterion {
  return {
    name: `${name}.upper`,
    met: promote !== null && promote.high <= threshold,
    value: round(promote?.high ?? null),
    threshold,
  };
}

/** A halting health criterion: unmet when the lower bound is beyond the (smaller) halt threshold. */
function lowerCriterion(name: string, halt: Bounds | null, threshold: number): Criterion {
  return {
    name: `${name}.lower`,
    met: halt === null || halt.low <= threshold,
    value: round(halt?.low ?? null),
    threshold,
  };
}

/**
 * The pair of health criteria for one share: `.upper` promotes when the upper bound is within the promote
 * threshold, `.lower` halts when the lower bound is beyond the halt threshold (docs/gate.md, "Halt and promote
 * thresholds"; the switch-failure pair uses one threshold for both).
 */
function healthPair(
  name: string,
  promote: Bounds | null,
  halt: Bounds | null,
  threshold: number,
  haltThreshold = threshold,
): Criterion[] {
  return [upperCriterion(name, promote, threshold), lowerCriterion(name, halt, haltThreshold)];
}

/** The halting criteria of the platform strata: dark and crash-loop per stratum. */
function strataCriteria(halt: HealthBounds, evidence: GateEvidence, settings: GateSettings): Criterion[] {
  return halt.strata.flatMap((s) => {
    const counts = evidence.strata.find((e) => e.stratum === s.stratum);
    const nodes = counts?.dark.release.nodes ?? 0;
    return [
      lowerCriterion(`health.dark.${s.stratum}`, s.dark, haltThreshold(settings.darkStratumHaltMargin, nodes)),
      lowerCriterion(`health.crash-loop.${s.stratum}`, s.crashLoop, haltThreshold(settings.crashLoopHaltShare, nodes)),
    ];
  });
}

/**
 * A halt threshold over `nodes` release nodes: the setting, and at least one node's worth (docs/gate.md, "Halt
 * and promote thresholds apart"). A lower bound of 0.4 points over 140 nodes is half a node: with a few dark
 * nodes the bounds cannot resolve that, and a 2,000-node fleet halted 3 of 200 healthy releases on it.
 */
export function haltThreshold(setting: number, nodes: number): number {
  return nodes > 0 ? Math.max(setting, Math.round(1e6 / nodes) / 1e6) : setting;
}

/**
 * The confidences of the look at T (src/stats/spending.ts). A false halt and
 * a false promote are two errors with a budget each: halting looks spend
 * theirs from the scan the release reached preprod, promoting looks from the
 * hour before the soak ends (no earlier look can promote). Null: no watched
 * time since the previous look (the scan it reached preprod, right after a
 * gap), so no bound and no decision at this look.
 */
export function confidencesOfLook(evidence: GateEvidence, settings: GateSettings) {
  const { hoursSinceReached: now, previousHoursSinceReached: before } = evidence;
  if (now === null || before === null) return { halt: null, promote: null };
  const start = settings.minSoakHours - 1;
  return {
    halt: lookConfidence(before, now, settings.confidence, settings.spendingHalfLifeHours),
    promote:
      now <= start
        ? null
        : lookConfidence(Math.max(0, before - start), now - start, settings.confidence, settings.promoteHalfLifeHours),
  };
}

export function lookBounds(evidence: GateEvidence, settings: GateSettings): LookBounds {
  const c = confidencesOfLook(evidence, settings);
  return { halt: healthBounds(evidence, c.halt, true), promote: healthBounds(evidence, c.promote, false) };
}

function darkBounds(d: DarkGroups, c: number): Bounds | null {
  return differenceBounds(d.release.dark, d.release.nodes, d.baseline.dark, d.baseline.nodes, c);
}

/** `halting`: the bounds of the halting tests, split between the whole fleet and the strata (Bonferroni). */
export function healthBounds(evidence: GateEvidence, c: number | null, halting = false): HealthBounds {
  if (c === null)
    return { confidence: null, dark: null, darkEarly: null, crashLoop: null, switchFail: null, strata: [] };
  const { dark, darkEarly, crashLoops, switchFailures, strata } = evidence;
  // Bonferroni, fixed in advance (docs/gate.md, "Strata"): the halting tests of dark and of crash loops each
  // look three ways, the whole fleet with half the look's error and each platform stratum with a quarter.
  const split = halting && strata.length > 0 ? 2 : 1;
  const whole = 1 - (1 - c) / split;
  const perStratum = 1 - (1 - c) / (2 * Math.max(1, strata.length));
  return {
    confidence: c,
    dark: darkBounds(dark, whole),
    darkEarly: darkBounds(darkEarly, c),
    crashLoop: wilsonBounds(crashLoops.count, crashLoops.of, whole),
    switchFail: wilsonBounds(switchFailures.count, switchFailures.of, c),
    strata: strata.map((s) => ({
      stratum: s.stratum,
      dark: darkBounds(s.dark, perStratum),
      crashLoop: wilsonBounds(s.crashLoops.count, s.crashLoops.of, perStratum),
    })),
  };
}

/**
 * The dark margin at this look: the absolute one, or more when production itself has had many dark nodes
 * all day (its lowest dark share over the last 24 h, so a nightly or passing drop does not widen it).
 */
export function darkMarginOf(evidence: GateEvidence, settings: GateSettings): number {
  const share = evidence.baselineDarkShareDayLow ?? 0;
  return Math.max(settings.darkMargin, round6(settings.darkRelativeMargin * share));
}

/**
 * The early-dark margin at this look: `earlyDarkMargin` on top of production's own early-dark share. Where
 * production's nodes fall silent often (churn), the release's count is as noisy and its bound as wide; the
 * margin grows with that noise, not with the release's share, so a release still cannot buy room by
 * darkening its own nodes. Rounded to 6 places like the dark margin.
 */
export function earlyDarkMarginOf(evidence: GateEvidence, settings: GateSettings): number {
  const { baseline } = evidence.darkEarly;
  const share = baseline.nodes > 0 ? baseline.dark / baseline.nodes : 0;
  return round6(settings.earlyDarkMargin + share);
}

/** `lastScanAgeHours`: hours from the last scan to the time judged (null: not known, e.g. in a simulation). */
export function criteriaOf(
  evidence: GateEvidence,
  settings: GateSettings,
  lastScanAgeHours: number | null,
): Criterion[] {
  const reached = evidence.reachedAt !== null;
  const { halt, promote } = lookBounds(evidence, settings);
  const { uptake } = evidence;
  return [
    atLeast('exposure.soak-hours', evidence.hoursSinceReached, settings.minSoakHours),
    atLeast('exposure.preprod-nodes', reached ? evidence.preprodNodes : null, settings.minPreprodNodes),
    atLeast('exposure.node-hours', reached ? evidence.nodeHours : null, settings.minNodeHours),
    atLeast('uptake', uptake.of > 0 ? uptake.on / uptake.of : null, settings.minUptake),
    atMost('freshness.last-scan-age', evidence.at === null ? null : (lastScanAgeHours ?? 0), settings.maxScanAgeHours),
    atLeast('freshness.scans-per-day', evidence.at === null ? null : evidence.scansLastDay, settings.minScansPerDay),
    ...healthPair(
      'health.dark',
      promote.dark,
      halt.dark,
      darkMarginOf(evidence, settings),
      haltThreshold(settings.darkHaltMargin, evidence.dark.release.nodes),
    ),
    upperCriterion('health.dark.early', promote.darkEarly, earlyDarkMarginOf(evidence, settings)),
    ...healthPair(
      'health.crash-loop',
      promote.crashLoop,
      halt.crashLoop,
      settings.maxCrashLoopShare,
      haltThreshold(settings.crashLoopHaltShare, evidence.crashLoops.of),
    ),
    ...healthPair('health.switch-fail', promote.switchFail, halt.switchFail, settings.maxSwitchFailShare),
    ...strataCriteria(halt, evidence, settings),
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
  if (criteria.some((criterion) => isHaltCriterion(criterion.name) && !criterion.met)) return 'halt';
  if (criteria.every((criterion) => criterion.met)) return 'promote';
  return hoursWatched !== null && hoursWatched >= settings.inconclusiveAfterHours ? 'inconclusive' : 'wait';
}

export interface Judgement {
  verdict: Verdict;
  criteria: Criterion[];
}

/** `extra`: criteria judged elsewhere (the health signals, src/gate/judge/signalCriteria.ts), appended. */
export function judge(
  evidence: GateEvidence,
  settings: GateSettings,
  lastScanAgeHours: number | null = null,
  extra: readonly Criterion[] = [],
): Judgement {
  const criteria = [...criteriaOf(evidence, settings, lastScanAgeHours), ...extra];
  const verdict = evidence.reachedAt === null ? 'wait' : verdictOf(criteria, evidence.hoursSinceReached, settings);
  return { verdict, criteria };
}
