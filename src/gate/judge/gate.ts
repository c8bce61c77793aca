/**
 * `gate` over a recorded history (docs/design.md §11, docs/gate.md): judged as
 * of T, the latest scan at or before `--at`. The release is a commit, shown
 * with its version (releaseChoice.ts). Two replays: one to T to pick the
 * release, one to gather its evidence. Pure: the time judged (`now`) is an
 * argument.
 */
import type { ScanTotals, ScanRecord } from '../history/scanRecord';
import type { Gap, TimelinePoint } from '../report/timeline';
import { blockingOf, type Blocking } from './blocking';
import { EvidenceTracker, type DarkByFailure, type GateEvidence, type ScanPoint, type Supersession } from './evidence';
import type { GateSettings } from './gateSettings';
import { detectableHarm, reachWarnings, type Detectable } from './reach';
import { chooseRelease, commitsNow, type ReleaseChoice } from './releaseChoice';
import { judgeSignalsOfHistory, signalBlocking, type SignalsReport } from './signalJudge';
import type { Bounds } from '../../stats/intervals';
import { darkMarginOf, judge, lookBounds, type Criterion, type Verdict } from './verdict';

export { chooseRelease, COMMIT_PREFIX } from './releaseChoice';

const MS_PER_HOUR = 3_600_000;

export interface GateOptions {
  settings: GateSettings;
  /** A version, or a commit prefix. Default: the commit most preprod nodes run at T. */
  release?: string;
  /** Judge as of the latest scan at or before this time (ISO). Default: the latest scan. */
  at?: string;
  /** The time judged, for the last scan's age (ISO). Default: `at`, else T itself. The CLI passes its clock. */
  now?: string;
  /** Also build the per-scan timelines for the HTML report. */
  timeline?: boolean;
}

export interface GateReport {
  verdict: Verdict;
  /** The release judged; `matched` says what `--release` (or the default) matched. */
  release: { version: string | null; commit: string | null; matched: string | null };
  criteria: Criterion[];
  evidence: GateEvidence;
  /** Why the verdict is wait without any evidence (empty history, no scan at or before --at, release not seen). */
  note: string | null;
  /** Number of scans up to T, and the totals of scan T. */
  scans: number;
  totals: ScanTotals | null;
  /** The decisive numbers per scan from reached on, with the bounds of each look (empty unless asked). */
  timeline: TimelinePoint[];
  /** Availability and uptake per scan (null unless asked). */
  scanTimeline: ScanPoint[] | null;
  gaps: Gap[];
  lastScanAgeHours: number | null;
  reachedAt: string | null;
  /** The scan whose look first promoted the release; the verdict stays promote unless harm shows. */
  promotedAt: string | null;
  /** The scan whose look first halted the release; the verdict stays halt. */
  haltedAt: string | null;
  supersededBy?: Supersession;
  blocking: Blocking[];
  darkNodes: DarkByFailure[];
  /** Commits of the release's version that answering selected preprod nodes run at T. */
  commitsNow: { commit: string; nodes: number }[];
  detectable: Detectable | null;
  warnings: string[];
  settings: GateSettings;
  /**
   * The health signals judged at T (docs/health.md): per signal the release-vs-production change with its
   * bounds, per stratum; null when the release has not reached preprod. Its `note` says why none was judged.
   */
  signals: SignalsReport | null;
}

/** Index of T: the latest scan at or before `at`; -1 when there is none. */
export function judgedIndex(scans: readonly ScanRecord[], at: string | undefined): number {
  if (at === undefined) return scans.length - 1;
  const limit = Date.parse(at);
  let index = -1;
  for (let i = 0; i < scans.length && Date.parse(scans[i].at) <= limit; i += 1) index = i;
  return index;
}

function timelinePoint(tracker: EvidenceTracker, at: string, settings: GateSettings): TimelinePoint {
  // Each bound as the decision reads it: the low one halts, the high one (from the end of the soak) promotes.
  const evidence = tracker.evidence();
  const { halt, promote } = lookBounds(evidence, settings);
  const merge = (low: Bounds | null, high: Bounds | null): Bounds | null =>
    low === null ? null : { estimate: low.estimate, low: low.low, high: (high ?? low).high };
  return {
    at,
    darkDifference: merge(halt.dark, promote.dark),
    darkMargin: darkMarginOf(evidence, settings),
    fallbackShare: merge(halt.crashLoop, promote.crashLoop),
    fallbackCeiling: settings.maxCrashLoopShare,
  };
}

function replay(upToT: readonly ScanRecord[], choice: ReleaseChoice | null, options: GateOptions) {
  const { settings } = options;
  const release = choice?.release ?? { version: '', commit: null };
  const tracker = new EvidenceTracker(release, settings, { timeline: options.timeline });
  const timeline: TimelinePoint[] = [];
  const decided: Decisions = { promotedAt: null, haltedAt: null };
  if (choice === null) return { tracker, timeline, decided };
  for (const scan of upToT) {
    tracker.observe(scan);
    if (tracker.evidence().reachedAt === null) continue;
    if (options.timeline) timeline.push(timelinePoint(tracker, scan.at, settings));
    if (decided.haltedAt !== null) continue;
    // Each look as it was when its scan was fresh; the first halt or promote is the decision (finalVerdict).
    const verdict = judge(tracker.evidence(), settings, 0).verdict;
    if (verdict === 'halt') decided.haltedAt = scan.at;
    else if (verdict === 'promote' && decided.promotedAt === null) decided.promotedAt = scan.at;
  }
  return { tracker, timeline, decided };
}

interface Decisions {
  promotedAt: string | null;
  haltedAt: string | null;
}

/**
 * A verdict is a decision, not a mood (docs/gate.md, "Verdict"): once a look
 * halted, the release stays halted; once one promoted, later looks keep it
 * unless one shows harm (halt) or the last scan is stale. The budget of each
 * is spent by then, so later looks alone could not decide again. The health
 * signals are judged at T only (their e-process is valid at any look), so a
 * promote also needs every `signal.*` criterion met at T.
 */
function finalVerdict(judged: Verdict, decided: Decisions, criteria: readonly Criterion[]): Verdict {
  if (decided.haltedAt !== null) return 'halt';
  const { promotedAt } = decided;
  if (judged === 'halt' || promotedAt === null) return judged;
  const held = criteria.every((c) => !(c.name.startsWith('freshness.') || c.name.startsWith('signal.')) || c.met);
  return held ? 'promote' : judged;
}

function detectableOf(evidence: GateEvidence, settings: GateSettings): Detectable | null {
  if (evidence.reachedAt === null) return null;
  const { baseline } = evidence.dark;
  const share = baseline.nodes > 0 ? baseline.dark / baseline.nodes : 0;
  return detectableHarm(evidence.dark.release.nodes, baseline.nodes, share, settings);
}

/** The signals at T for a release that reached preprod; null otherwise (no look yet). */
function signalsAtT(upToT: readonly ScanRecord[], choice: ReleaseChoice | null, e: GateEvidence, s: GateSettings) {
  if (choice === null || e.reachedAt === null) return null;
  return judgeSignalsOfHistory(upToT, choice.release.commit, s.signals, 1 - s.confidence);
}

function noteOf(scans: number, end: number, choice: ReleaseChoice | null, e: GateEvidence, o: GateOptions) {
  if (scans === 0) return 'the history is empty';
  if (end < 0) return `no scan was recorded at or before ${o.at}`;
  if (choice === null)
    return o.release === undefined ? 'no preprod-selected node runs a release' : `no node reported ${o.release}`;
  if (e.reachedAt === null)
    return `release ${choice.release.version} has not reached preprod (${o.settings.quorumNodes} selected nodes on it)`;
  return null;
}

export function evaluateHistory(scans: readonly ScanRecord[], options: GateOptions): GateReport {
  const { settings } = options;
  const end = judgedIndex(scans, options.at);
  const upToT = scans.slice(0, end + 1);
  const choice = upToT.length === 0 ? null : chooseRelease(upToT, options.release);
  const { tracker, timeline, decided } = replay(upToT, choice, options);
  const evidence = tracker.evidence();
  const now = options.now ?? options.at ?? evidence.at;
  const lastScanAgeHours =
    evidence.at === null || now === null
      ? null
      : Math.max(0, (Date.parse(now) - Date.parse(evidence.at)) / MS_PER_HOUR);
  const signals = signalsAtT(upToT, choice, evidence, settings);
  const judged = judge(evidence, settings, lastScanAgeHours, signals?.criteria ?? []);
  const { criteria } = judged;
  const verdict = finalVerdict(judged.verdict, decided, criteria);
  // A halt first shown by the signals at T is decided at T.
  if (verdict === 'halt' && decided.haltedAt === null) decided.haltedAt = evidence.at;
  const detectable = detectableOf(evidence, settings);
  return {
    verdict,
    release: {
      version: choice?.release.version ?? null,
      commit: choice?.release.commit ?? null,
      matched: choice?.matched ?? null,
    },
    criteria,
    evidence,
    note: noteOf(scans.length, end, choice, evidence, options),
    scans: upToT.length,
    totals: end >= 0 ? scans[end].totals : null,
    timeline,
    scanTimeline: tracker.scanPoints,
    gaps: evidence.gaps,
    lastScanAgeHours: lastScanAgeHours === null ? null : Math.round(lastScanAgeHours * 100) / 100,
    reachedAt: evidence.reachedAt,
    promotedAt: decided.promotedAt,
    haltedAt: decided.haltedAt,
    ...(evidence.supersededBy ? { supersededBy: evidence.supersededBy } : {}),
    blocking:
      verdict === 'wait' || verdict === 'inconclusive'
        ? blockingOf(criteria, evidence, settings).map((b) =>
            signalBlocking(b, signals?.report ?? null, evidence.reachedAt),
          )
        : [],
    darkNodes: evidence.darkNodes,
    commitsNow: choice === null ? [] : commitsNow(tracker.table.states, choice.release.version),
    detectable,
    warnings: detectable === null ? [] : reachWarnings(detectable, settings),
    settings,
    signals: signals?.report ?? null,
  };
}
