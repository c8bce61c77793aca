/** What the evidence tracker reports about a release (docs/gate.md, "Definitions"). */

export interface Release {
  version: string;
  commit: string | null;
}

export interface FellBack {
  node: string;
  reason: 'crash-loop' | 'switch-failed';
  at: string;
}

export interface GateEvidence {
  release: Release;
  /** Time of the latest scan seen (T); null before any. */
  at: string | null;
  reachedAt: string | null;
  hoursSinceReached: number | null;
  /** A newer release that reached preprod after this one, and when: later events are not counted against this one. */
  supersededBy: { version: string; at: string } | null;
  /** Hours run on the release by answering selected nodes, from reached to T. */
  nodeHours: number;
  /** Distinct selected nodes that answered with the release since it reached preprod. */
  preprodNodes: number;
  /** Answering selected nodes at T, and how many of them run the release. */
  uptake: { on: number; of: number };
  dark: { release: { dark: number; nodes: number }; baseline: { dark: number; nodes: number } };
  crashLoops: { count: number; of: number };
  switchFailures: { count: number; of: number };
  fellBack: FellBack[];
}

export interface TimelinePoint {
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
