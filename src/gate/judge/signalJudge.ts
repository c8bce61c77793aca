/**
 * The gate's look at the health signals (docs/health.md, docs/gate.md "The
 * criteria"): the history rebuilt as a HealthLedger for the release's commit
 * (healthFromHistory), judged by every enabled signal (judgeHealth) with the
 * `gate.signals` settings, as criteria for judge() and as figures for the
 * reports. Pure: no I/O, no clock.
 *
 * Margins: judgeHealth takes each signal's margins from its rule; the bounds
 * it returns do not depend on them (eProcess.ts inverts the test over every
 * margin), so the gate's margins are applied to those bounds here, exactly as
 * strata.ts applies the rules' (`harm` = judged and lower bound > halt margin;
 * not worse = whole fleet judged and upper bound ≤ margin).
 */
import { healthFromHistory } from '../history/healthFromHistory';
import type { ScanRecord } from '../history/scanRecord';
import { DID_DEFAULTS, UNKNOWN } from '../../health/didStats';
import { judgeHealth, type HealthJudgement, type HealthLedger } from '../../health/ledger';
import { SIGNAL_RULES, type SignalName } from '../../health/signalRules';
import type { SignalJudgement } from '../../health/strata';
import { signalCriteria, type SignalMargins } from './signalCriteria';
import { enabledSignals, type SignalSetting, type SignalSettings } from './signalSettings';
import type { Criterion } from './verdict';
import { round6 } from '../../stats/round6';

export interface SignalStratumFigures {
  /** `all`, `platform:arcane`, `platform:other` or `provider:<name>`: the name comes from nodes, escape it. */
  stratum: string;
  judged: boolean;
  /** Release nodes with an outcome. */
  nodes: number;
  /** Release worsened share − production worsened share, with its always-valid bounds. */
  estimate: number;
  low: number;
  high: number;
  /** The lower bound is above the halt margin (in a judged stratum). */
  harm: boolean;
}

export interface SignalFigures {
  name: SignalName;
  /** What "good" means for this signal (signalRules.ts). */
  good: string;
  margin: number;
  haltMargin: number;
  halt: boolean;
  notWorse: boolean;
  strata: SignalStratumFigures[];
}

export interface SignalsReport {
  /** The scan the signals were judged at (T): they are judged at the final look only (docs/gate.md). */
  judgedAt: string | null;
  /** Chance of any false halt over every signal, stratum and look. */
  alpha: number;
  /** Why no signal was judged (turned off, a history without health, a release without a commit). */
  note: string | null;
  /**
   * Enabled signals with no production baseline possible for this release (nodes that do not carry the field,
   * health recorded only since the release, or too short a history before it): not judged.
   */
  unreported: SignalName[];
  signals: SignalFigures[];
}

/** One signal's judgement with the gate's margins in place of its rule's. */
export function withMargins(judgement: SignalJudgement, setting: SignalSetting): SignalJudgement {
  const strata = judgement.strata.map((s) => ({ ...s, harm: s.judged && s.bounds.low > setting.haltMargin }));
  const whole = strata.find((s) => s.stratum === 'all');
  return {
    ...judgement,
    strata,
    halt: strata.some((s) => s.harm),
    notWorse: whole !== undefined && whole.judged && whole.bounds.high <= setting.margin,
  };
}

function figuresOf(health: HealthJudgement, settings: SignalSettings): SignalFigures[] {
  return health.signals.map(({ name, judgement }) => ({
    name,
    good: SIGNAL_RULES.find((r) => r.name === name)?.good ?? name,
    margin: settings[name].margin,
    haltMargin: settings[name].haltMargin,
    halt: judgement.halt,
    notWorse: judgement.notWorse,
    strata: judgement.strata.map((s) => ({
      stratum: s.stratum,
      judged: s.judged,
      nodes: s.bounds.nodes,
      estimate: round6(s.bounds.estimate),
      low: round6(s.bounds.low),
      high: round6(s.bounds.high),
      harm: s.harm,
    })),
  }));
}

/** Whether any scan carries a health column: histories recorded before the signals have none. */
export function historyHasHealth(scans: readonly ScanRecord[]): boolean {
  return scans.some((scan) => typeof scan.health === 'string' && scan.health !== '');
}

function noteOf(scans: readonly ScanRecord[], commit: string | null, enabled: readonly SignalName[]): string | null {
  if (enabled.length === 0) return 'every health signal is turned off (gate.signals)';
  if (!historyHasHealth(scans)) return 'the history has no health signals (recorded before they were); none judged';
  if (commit === null)
    return 'the release has no commit in the history, so its nodes cannot be told apart; none judged';
  return null;
}

/**
 * Whether a production baseline can ever exist for this release and signal: some release node took it at a
 * scan τ after which some production node has the before-window the difference-in-differences needs (at
 * least half of the 12 scans before τ known, didStats.ts). Asked only of a signal without a single release
 * outcome. Without it there is no baseline, ever, for this release: a fleet whose nodes do not carry the
 * field (an older FluxOS, a stand-in), a history that began recording health after the release arrived, or
 * one that starts less than 12 hours before it. Waiting for it would block every promote, so the signal is
 * not judged and the report says so. Production, not release nodes: a release that stops its own nodes
 * reporting a field keeps the signal judged, without outcomes, so it cannot promote.
 */
function baselinePossible(ledger: HealthLedger, name: SignalName): boolean {
  const rule = SIGNAL_RULES.find((r) => r.name === name);
  if (rule === undefined) return false;
  const nodes = ledger.healthNodes(rule);
  const { windowScans: w, minKnownShare } = DID_DEFAULTS;
  const minKnown = Math.max(1, Math.ceil(w * minKnownShare));
  const taus = new Set<number>();
  for (const node of nodes) if (node.releaseAt !== null && node.releaseAt >= w) taus.add(node.releaseAt);
  const known = (series: Int8Array, tau: number) => series.subarray(tau - w, tau).filter((v) => v !== UNKNOWN).length;
  return [...taus].some((tau) => nodes.some((node) => node.releaseAt === null && known(node.series, tau) >= minKnown));
}

/**
 * The release `commit` judged by the enabled health signals over `upToT` (the scans up to and including T):
 * criteria `signal.<name>.upper` / `.lower` (signalCriteria.ts) and the figures the reports show. No criteria,
 * and a note, when no signal can be judged. `promoteAlpha`: the gate's false-promote budget (1 − confidence),
 * shared by the signals' promote tests.
 */
export function judgeSignalsOfHistory(
  upToT: readonly ScanRecord[],
  commit: string | null,
  settings: SignalSettings,
  promoteAlpha?: number,
): { criteria: Criterion[]; report: SignalsReport } {
  const enabled = enabledSignals(settings);
  const judgedAt = upToT.length === 0 ? null : upToT[upToT.length - 1].at;
  const note = noteOf(upToT, commit, enabled);
  if (note !== null || commit === null) {
    return { criteria: [], report: { judgedAt, alpha: settings.alpha, note, unreported: [], signals: [] } };
  }
  const ledger = healthFromHistory(upToT, commit);
  const judged = judgeHealth(ledger, { signals: enabled, alpha: settings.alpha, promoteAlpha });
  const unreported: SignalName[] = [];
  const signals = judged.signals
    .filter(({ name, judgement }) => {
      const noOutcome = (judgement.strata.find((s) => s.stratum === 'all')?.bounds.nodes ?? 0) === 0;
      if (noOutcome && !baselinePossible(ledger, name)) unreported.push(name);
      return !unreported.includes(name);
    })
    .map(({ name, judgement }) => ({ name, judgement: withMargins(judgement, settings[name]) }));
  const health: HealthJudgement = {
    signals,
    halt: signals.some((s) => s.judgement.halt),
    notWorse: signals.length > 0 && signals.every((s) => s.judgement.notWorse),
  };
  const margins: SignalMargins = {};
  for (const name of enabled) margins[name] = settings[name];
  return {
    criteria: signalCriteria(health, margins),
    report: { judgedAt, alpha: settings.alpha, note: null, unreported, signals: figuresOf(health, settings) },
  };
}

/**
 * Why an unmet `signal.<name>.upper` keeps a release from promotion, and what would change it, in place of
 * the generic health line of blocking.ts (which speaks of dark nodes and fallbacks).
 */
export function signalBlocking(
  blocking: { criterion: string; why: string; wouldChange: string },
  report: SignalsReport | null,
  reachedAt: string | null,
): { criterion: string; why: string; wouldChange: string } {
  const match = /^signal\.(\w+)\.upper$/.exec(blocking.criterion);
  const figures = match === null ? undefined : report?.signals.find((s) => s.name === match[1]);
  if (figures === undefined) return blocking;
  const whole = figures.strata.find((s) => s.stratum === 'all');
  const w = DID_DEFAULTS.windowScans;
  if (whole === undefined || !whole.judged) {
    const earliest = reachedAt === null ? 'later' : new Date(Date.parse(reachedAt) + w * 3_600_000).toISOString();
    return {
      criterion: blocking.criterion,
      why: `no release node has an outcome yet: each needs the ${w} hours before and after its switch scanned`,
      wouldChange: `${w} scanned hours after release nodes switched (${earliest} at the earliest)`,
    };
  }
  const pct = (share: number) => `${(share * 100).toFixed(2)}%`;
  return {
    criterion: blocking.criterion,
    why:
      `the upper bound of the share of release nodes worsened (${figures.good}) minus production's is ` +
      `${pct(whole.high)}, above the margin ${pct(figures.margin)} (${whole.nodes} release nodes with an outcome)`,
    wouldChange: 'more release nodes past their after-window without worsening',
  };
}
