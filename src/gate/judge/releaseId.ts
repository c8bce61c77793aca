/**
 * What a release is (docs/gate.md, "Definitions"): a commit (`preProd.commit`),
 * shown with its version; a version alone only when nodes report no commit.
 * Version and commit strings come from nodes: they are compared and counted
 * in Maps, never used as keys of plain objects. Pure.
 */
import type { NodeState } from '../history/observation';

export interface Release {
  version: string;
  commit: string | null;
}

/** The release a node's state shows, as one Map key: its commit, or its version without one. */
export function releaseKeyOf(state: Pick<NodeState, 'version' | 'commit'>): string | null {
  if (state.commit !== null) return `c:${state.commit}`;
  return state.version === null ? null : `v:${state.version}`;
}

/** A node's last answer was on `release`: the same commit (or the same version when the release has none). */
export function runsRelease(state: Pick<NodeState, 'version' | 'commit'>, release: Release): boolean {
  return release.commit !== null ? state.commit === release.commit : state.version === release.version;
}

/** Numeric-aware order of two version strings (8.10.0 after 8.9.0). */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * `candidate` is a newer release than `release` (docs/gate.md, "Superseded"):
 * a higher version, or the same version on a commit no node ran before the
 * release reached preprod (a same-version hotfix). The previous release is
 * never newer, however many nodes come back on it.
 */
export function isNewerRelease(
  candidate: { version: string | null; commit: string | null },
  release: Release,
  seenBeforeReach: ReadonlySet<string>,
): boolean {
  if (candidate.version === null) return false;
  const order = compareVersions(candidate.version, release.version);
  if (order !== 0) return order > 0;
  if (release.commit === null || candidate.commit === null || candidate.commit === release.commit) return false;
  return !seenBeforeReach.has(`c:${candidate.commit}`);
}
