/**
 * Which release `gate` judges (docs/gate.md, "Definitions"): a commit, shown
 * with its version. `--release` takes a commit prefix (^[0-9a-f]{7,40}$) or a
 * version, and the report says what it matched; the default is the commit
 * most answering selected preprod nodes run at T. Counts live in Maps: the
 * strings are the nodes' and are never object keys. Pure.
 */
import type { NodeState } from '../history/observation';
import { NodeTable, type ScanRecord } from '../history/scanRecord';
import { compareVersions, type Release } from './releaseId';

export const COMMIT_PREFIX = /^[0-9a-f]{7,40}$/;

export interface ReleaseChoice {
  release: Release;
  /** What the release was chosen by, in words for the report. */
  matched: string;
}

interface Pair {
  version: string;
  commit: string | null;
}

/** The most counted pair; ties go to the higher version (numeric-aware), then the smaller commit. */
function mostCounted(counts: ReadonlyMap<string, { pair: Pair; count: number }>): Pair | null {
  let best: { pair: Pair; count: number } | null = null;
  for (const row of counts.values()) {
    const order = best === null ? 1 : row.count - best.count || compareVersions(row.pair.version, best.pair.version);
    const tie = best !== null && order === 0 && (row.pair.commit ?? '') < (best.pair.commit ?? '');
    if (order > 0 || tie) best = row;
  }
  return best?.pair ?? null;
}

function tallyPairs(states: Iterable<NodeState>, keep: (s: NodeState) => boolean) {
  const counts = new Map<string, { pair: Pair; count: number }>();
  for (const s of states) {
    if (s.version === null || !keep(s)) continue;
    const key = `${s.commit ?? ''}\u0000${s.version}`;
    const row = counts.get(key) ?? { pair: { version: s.version, commit: s.commit }, count: 0 };
    row.count += 1;
    counts.set(key, row);
  }
  return counts;
}

const onPreprod = (s: NodeState) => s.cohort === 'selected' && s.mode === 'preprod';

/** Pass 1: replays to T and names the release; null when nothing matches. */
export function chooseRelease(scans: readonly ScanRecord[], selector: string | undefined): ReleaseChoice | null {
  const table = new NodeTable(false);
  const everSeen: NodeState[] = [];
  for (const scan of scans)
    table.apply(scan, (_i, _before, after) => {
      if (after.answered) everSeen.push(after);
    });
  const byCommit = selector !== undefined && COMMIT_PREFIX.test(selector);
  const matches = (s: NodeState) =>
    selector === undefined ? true : byCommit ? (s.commit?.startsWith(selector) ?? false) : s.version === selector;
  // Prefer what selected preprod nodes run at T (answering, then their last answers), then anything ever seen.
  const tiers: [Iterable<NodeState>, (s: NodeState) => boolean][] = [
    [table.states, (s) => s.answered && onPreprod(s) && matches(s)],
    [table.states, (s) => s.everAnswered && onPreprod(s) && matches(s)],
  ];
  if (selector !== undefined) tiers.push([everSeen, matches]);
  for (const [states, keep] of tiers) {
    const pair = mostCounted(tallyPairs(states, keep));
    if (pair !== null) return { release: pair, matched: describe(selector, byCommit, pair) };
  }
  return null;
}

function describe(selector: string | undefined, byCommit: boolean, pair: Pair): string {
  const commit = pair.commit ?? 'no commit reported';
  if (selector === undefined) return `the commit most selected preprod nodes run: ${commit} (version ${pair.version})`;
  if (byCommit) return `--release ${selector} matched commit ${commit} (version ${pair.version})`;
  return `--release ${selector} matched version ${pair.version} at commit ${commit}`;
}

/** Commits of `version` that answering selected preprod nodes run at T, most run first. */
export function commitsNow(states: readonly NodeState[], version: string): { commit: string; nodes: number }[] {
  const counts = new Map<string, number>();
  for (const s of states)
    if (s.answered && onPreprod(s) && s.version === version && s.commit !== null)
      counts.set(s.commit, (counts.get(s.commit) ?? 0) + 1);
  return [...counts]
    .map(([commit, nodes]) => ({ commit, nodes }))
    .sort((a, b) => b.nodes - a.nodes || (a.commit < b.commit ? -1 : 1));
}
