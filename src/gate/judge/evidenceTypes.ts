/** What the evidence tracker reports about a release (docs/gate.md, "Definitions"). */
import type { Gap } from '../report/timeline';
import type { Release } from './releaseId';

export type { Release } from './releaseId';

export interface FellBack {
  node: string;
  reason: 'crash-loop' | 'switch-failed';
  at: string;
}

/** A newer release that a quorum of the release group runs, and when the quorum was first there. */
export interface Supersession {
  version: string;
  commit: string | null;
  at: string;
  /** Release-group nodes on it at that scan. */
  nodes: number;
}

/** Release-group nodes dark at T, by the failure kind of their latest scan. */
export interface DarkByFailure {
  failure: string;
  nodes: string[];
}

/** Dark nodes at T and group sizes, release and baseline (production). */
export interface DarkGroups {
  release: { dark: number; nodes: number };
  baseline: { dark: number; nodes: number };
}

/** A platform stratum (docs/gate.md, "Strata"): ArcaneOS nodes, or the others (unknown platform included). */
export type Stratum = 'arcane' | 'non-arcane';

export interface StratumEvidence {
  stratum: Stratum;
  dark: DarkGroups;
  crashLoops: { count: number; of: number };
}

export interface GateEvidence {
  release: Release;
  /** Time of the latest scan seen (T); null before any. */
  at: string | null;
  reachedAt: string | null;
  /** Hours watched since reached (covered by scans, gaps left out), to T or the supersession. */
  hoursSinceReached: number | null;
  /** Watched hours at the scan before T: the look at T spends the error between the two. */
  previousHoursSinceReached: number | null;
  supersededBy: Supersession | null;
  /** Hours run on the release by answering selected nodes, over watched time only. */
  nodeHours: number;
  /** Distinct selected nodes that answered with the release since it reached preprod. */
  preprodNodes: number;
  /** Answering selected nodes at T, and how many of them run the release. */
  uptake: { on: number; of: number };
  dark: DarkGroups;
  /** Dark at T among silences that began within `earlyDarkHours` of reaching preprod (docs/gate.md, "Early dark"). */
  darkEarly: DarkGroups;
  /** The dark and crash-loop counts per platform stratum, ArcaneOS first. */
  strata: StratumEvidence[];
  darkNodes: DarkByFailure[];
  crashLoops: { count: number; of: number };
  switchFailures: { count: number; of: number };
  fellBack: FellBack[];
  /** Every stretch between two scans longer than `maxScanGapHours`, up to T. */
  gaps: Gap[];
  /** Scans in the 24 hours up to T (T included). */
  scansLastDay: number;
  /** The lowest dark share of the baseline over the scans of the last 24 h (null before reached). */
  baselineDarkShareDayLow: number | null;
}

/** One scan's view of the fleet, for the availability charts. */
export interface ScanPoint {
  at: string;
  /** preprod / (preprod + production) among answering nodes. */
  preprodShare: number | null;
  /** Share of answering selected nodes on the release. */
  uptake: number | null;
  /** Answering nodes that report reason crash-loop. */
  crashLoops: number;
  /** Answering share of asked nodes that have answered before, by cohort. */
  availability: { selected: number | null; notSelected: number | null };
}
