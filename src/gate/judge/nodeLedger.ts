/**
 * One entry per node of the history, and the named rules that read it
 * (docs/gate.md, "Definitions"). Every count the gate makes is a count of
 * nodes, never of messages: a node can move its own entry only, once per
 * question (a node flapping between `selected` and `crash-loop` is one
 * fallback). Pure.
 */
import type { NodeState } from '../history/observation';
import { runsRelease, type Release } from './releaseId';

/** release: selected nodes on preprod or on the release; baseline: not-selected nodes; switch-only: see below. */
export type Group = 'release' | 'baseline' | 'switch-only';

export interface NodeEntry {
  /** The group the node joined (once); switch-only: a selected node whose switch to preprod failed. */
  group: Group | null;
  /** Answered with the release as a selected node. */
  ranRelease: boolean;
  fellBack: boolean;
  switchFailed: boolean;
  /** Time (ms) of the first asked scan without an answer since the node last answered; null while answering. */
  silentSinceMs: number | null;
  /** The node's last answer before its silence was on the release: the silence is charged to it. */
  silentOnRelease: boolean;
  /** The release key this node adds to in the supersession tally (release-group nodes only). */
  tallyKey: string | null;
  /** Time (ms) since when the node has answered with the commit (or version) of its last answer. */
  keySinceMs: number;
  /** Time (ms) of the first silent scan of the node's latest silence (kept after it answers again). */
  lastSilenceMs: number;
  /** The node's platform as last reported in its health word: ArcaneOS or not (docs/gate.md, "Strata"). */
  arcane: boolean;
}

export function newEntry(): NodeEntry {
  return {
    group: null,
    ranRelease: false,
    fellBack: false,
    switchFailed: false,
    silentSinceMs: null,
    silentOnRelease: false,
    tallyKey: null,
    keySinceMs: 0,
    lastSilenceMs: 0,
    arcane: false,
  };
}

/** Asked in this scan, did not answer, and has answered before. */
export function isSilent(s: NodeState): boolean {
  return s.asked && !s.answered && s.everAnswered;
}

export function isSelectedOnPreprod(s: NodeState): boolean {
  return s.answered && s.cohort === 'selected' && s.mode === 'preprod';
}

/** An answering selected node on the preprod branch running the release: the release is on preprod. */
export function showsReleaseOnPreprod(s: NodeState, release: Release): boolean {
  return isSelectedOnPreprod(s) && runsRelease(s, release);
}

/** The group a node's state puts it in; null for a node of unknown cohort. */
export function groupOf(s: NodeState, release: Release): Group | null {
  if (s.cohort === 'selected' && (s.mode === 'preprod' || runsRelease(s, release))) return 'release';
  return s.cohort === 'not-selected' ? 'baseline' : null;
}

/** The node's reason changed to `reason` in this scan, after it had answered before. */
export function reasonBecame(before: NodeState, after: NodeState, reason: string): boolean {
  return after.answered && after.reason === reason && before.reason !== reason && before.everAnswered;
}

/** A crash-loop fallback to count: the first one of a node that is not in the baseline. */
export function isNewFallback(entry: NodeEntry, before: NodeState, after: NodeState): boolean {
  return !entry.fellBack && entry.group !== 'baseline' && reasonBecame(before, after, 'crash-loop');
}

/** When the trouble behind a change began: the node's silence before it, or this scan if it never went silent. */
export function troubleSince(entry: NodeEntry, before: NodeState, timeMs: number): number {
  return before.asked && !before.answered ? entry.lastSilenceMs : timeMs;
}

/** A switch failure to count: the first one of a selected node that is not in the baseline. */
export function isNewSwitchFailure(entry: NodeEntry, before: NodeState, after: NodeState): boolean {
  return (
    !entry.switchFailed &&
    entry.group !== 'baseline' &&
    after.cohort === 'selected' &&
    reasonBecame(before, after, 'switch-failed')
  );
}

/**
 * Dark at T (docs/gate.md, "Dark"): silent for at least `darkMs` and still
 * silent now. A release-group node counts for the release only if its last
 * answer was on it and its silence began before any supersession; a baseline
 * node counts whatever it ran.
 */
export function isDarkAt(
  entry: NodeEntry,
  nowMs: number,
  darkMs: number,
  supersededAtMs: number | null,
): entry is NodeEntry & { group: 'release' | 'baseline' } {
  if (entry.silentSinceMs === null || nowMs - entry.silentSinceMs < darkMs) return false;
  if (entry.group === 'baseline') return true;
  if (entry.group !== 'release' || !entry.silentOnRelease) return false;
  return supersededAtMs === null || entry.silentSinceMs < supersededAtMs;
}
