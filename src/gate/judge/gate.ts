/**
 * `gate` over a recorded history (docs/design.md §11): judged as of T, the
 * latest scan at or before `--at`; the release is `--release` (a version, or
 * a commit prefix when it matches ^[0-9a-f]{7,40}$) or else the version most
 * answering selected nodes on the preprod branch run at T. Two replays: one
 * to T to pick the release, one to gather its evidence. Pure.
 */
import { EvidenceTracker, type GateEvidence, type Release, type TimelinePoint as ScanPoint } from './evidence';
import type { Gap, TimelinePoint } from '../report/timeline';
import type { GateSettings } from './gateSettings';
import type { NodeState } from '../history/observation';
import { NodeTable, type ScanRecord, type ScanTotals } from '../history/scanRecord';
import { judge, type Criterion, type Verdict } from './verdict';

export const COMMIT_PREFIX = /^[0-9a-f]{7,40}$/;

export interface GateOptions {
  settings: GateSettings;
  /** A version, or a commit prefix. Default: the release most preprod nodes run at T. */
  release?: string;
  /** Judge as of the latest scan at or before this time (ISO). Default: the latest scan. */
  at?: string;
  /** The time judged, for the last scan's age (ISO); the judge's to use. */
  now?: string;
  /** Also build the per-scan timeline for the HTML report. */
  timeline?: boolean;
}

export interface GateReport {
  verdict: Verdict;
  /** `matched`: what `--release` (or the default) matched, when the judge says. */
  release: { version: string | null; commit: string | null; matched?: string | null };
  criteria: Criterion[];
  evidence: GateEvidence;
  /** Why the verdict is wait without any evidence (empty history, no scan at or before --at, release not seen). */
  note: string | null;
  /** Number of scans up to T, and the totals of scan T. */
  scans: number;
  totals: ScanTotals | null;
  /** Availability and uptake per scan, for the HTML charts (null unless asked). */
  scanTimeline: ScanPoint[] | null;
  // Filled by the judge when it knows them; the reports render each one when present (issue 17).
  /** The decisive numbers with their bounds per scan from reached on. */
  timeline?: TimelinePoint[];
  gaps?: Gap[];
  lastScanAgeHours?: number | null;
  blocking?: { criterion: string; why: string; wouldChange: string }[];
  supersededBy?: { version: string; commit?: string | null; at: string; nodes?: number };
  reachedAt?: string | null;
  /** Release-group nodes dark at T by the failure kind of their latest scan. */
  darkNodes?: { failure: string; nodes: string[] }[];
  warnings?: string[];
  settings: GateSettings;
}

/** Counts of (commit → version) seen as nodes answered, for naming a release by either. */
type Pairs = Map<string, Map<string, number>>;

function bump(pairs: Pairs, outer: string, inner: string): void {
  const map = pairs.get(outer) ?? new Map<string, number>();
  map.set(inner, (map.get(inner) ?? 0) + 1);
  pairs.set(outer, map);
}

/** The most counted key; ties go to the higher version (numeric-aware). */
function mostCounted(counts: Map<string, number>): string | null {
  let best: string | null = null;
  let bestCount = 0;
  for (const [key, count] of counts) {
    const higher = best === null || key.localeCompare(best, 'en', { numeric: true }) > 0;
    if (count > bestCount || (count === bestCount && higher)) {
      best = key;
      bestCount = count;
    }
  }
  return best;
}

function defaultVersion(states: readonly NodeState[]): string | null {
  const onPreprod = (s: NodeState) => s.cohort === 'selected' && s.mode === 'preprod' && s.version !== null;
  for (const answering of [true, false]) {
    const counts = new Map<string, number>();
    for (const s of states)
      if (onPreprod(s) && (!answering || s.answered))
        counts.set(s.version as string, (counts.get(s.version as string) ?? 0) + 1);
    const best = mostCounted(counts);
    if (best !== null) return best;
  }
  return null;
}

/** Pass 1: replays to T and names the release. */
export function chooseRelease(scans: readonly ScanRecord[], selector: string | undefined): Release | null {
  const table = new NodeTable();
  const versionsOfCommit: Pairs = new Map();
  const commitsOfVersion: Pairs = new Map();
  for (const scan of scans) {
    table.apply(scan, (_i, _before, after) => {
      if (!after.answered || after.commit === null || after.version === null) return;
      bump(versionsOfCommit, after.commit, after.version);
      bump(commitsOfVersion, after.version, after.commit);
    });
  }
  let version: string | null;
  if (selector !== undefined && COMMIT_PREFIX.test(selector)) {
    const versions = new Map<string, number>();
    for (const [commit, counts] of versionsOfCommit) {
      if (commit.startsWith(selector)) for (const [v, n] of counts) versions.set(v, (versions.get(v) ?? 0) + n);
    }
    version = mostCounted(versions);
  } else {
    version = selector ?? defaultVersion(table.states);
  }
  if (version === null) return null;
  const commits = commitsOfVersion.get(version);
  return { version, commit: commits ? mostCounted(commits) : null };
}

/** Index of T: the latest scan at or before `at`; -1 when there is none. */
export function judgedIndex(scans: readonly ScanRecord[], at: string | undefined): number {
  if (at === undefined) return scans.length - 1;
  const limit = Date.parse(at);
  let index = -1;
  for (let i = 0; i < scans.length && Date.parse(scans[i].at) <= limit; i += 1) index = i;
  return index;
}

export function evaluateHistory(scans: readonly ScanRecord[], options: GateOptions): GateReport {
  const end = judgedIndex(scans, options.at);
  const upToT = scans.slice(0, end + 1);
  const release = upToT.length === 0 ? null : chooseRelease(upToT, options.release);
  const tracker = new EvidenceTracker(release ?? { version: '', commit: null }, options.settings.darkScans, {
    timeline: options.timeline,
  });
  if (release !== null) for (const scan of upToT) tracker.observe(scan);
  const evidence = tracker.evidence();
  const { verdict, criteria } = judge(evidence, options.settings);
  let note: string | null = null;
  if (scans.length === 0) note = 'the history is empty';
  else if (end < 0) note = `no scan was recorded at or before ${options.at}`;
  else if (release === null)
    note =
      options.release === undefined ? 'no preprod-selected node runs a release' : `no node reported ${options.release}`;
  else if (evidence.reachedAt === null) note = `release ${release.version} has not reached preprod`;
  return {
    verdict,
    release: { version: release?.version ?? null, commit: release?.commit ?? null },
    criteria,
    evidence,
    note,
    scans: upToT.length,
    totals: end >= 0 ? scans[end].totals : null,
    scanTimeline: tracker.timeline,
    settings: options.settings,
  };
}
