/**
 * Which release a silence or a fallback is charged to (docs/gate.md, "Dark"
 * and "Crash-loop fallback"): the release the node ran when the trouble
 * began. That is its last answer when it answered with this release; a node
 * that had run an older release steadily until this one reached preprod, with
 * no other release on preprod in between, and got into trouble after that,
 * most likely pulled this one and hung or crashed before it could answer
 * (its trouble may have begun up to `PULL_LEAD_MS` before the release reached
 * preprod, while the node was pulling it). Pure.
 */
import type { NodeState } from '../history/observation';
import type { NodeEntry } from './nodeLedger';
import { compareVersions, isNewerRelease, type Release, releaseKeyOf, runsRelease } from './releaseId';

const MS_PER_HOUR = 3_600_000;

/**
 * A node pulling the release restarts and is silent (up to ~30 minutes, more
 * while it crash-loops) before any node has answered with it, so before it
 * reaches preprod: trouble that began less than this long before the release
 * reached preprod may be the release's. Scanned every 10 minutes, a fifth of
 * the crash loops of a bad release began before it reached (docs/gate.md).
 */
export const PULL_LEAD_MS = MS_PER_HOUR;

export interface ChargeContext {
  release: Release;
  reachedMs: number;
  /** How long a node must have run its older release before `reachedMs` to be "steady" on it (ms). */
  steadyMs: number;
  /** Release keys any node had answered with before this release reached preprod. */
  seenBeforeReach: ReadonlySet<string>;
  /** The two highest versions other than this release that a quorum of selected preprod nodes ran at reach. */
  others: readonly { key: string; version: string }[];
}

/** The context of the scan where the release reached preprod. */
export function contextAtReach(
  states: readonly NodeState[],
  release: Release,
  reachedMs: number,
  settings: { quorumNodes: number; steadyHours: number },
): ChargeContext {
  const seen = new Set<string>();
  const onPreprod = new Map<string, { version: string; count: number }>();
  for (const s of states) {
    const key = s.everAnswered ? releaseKeyOf(s) : null;
    if (key === null) continue;
    seen.add(key);
    if (!s.answered || s.cohort !== 'selected' || s.mode !== 'preprod' || runsRelease(s, release)) continue;
    const row = onPreprod.get(key) ?? { version: s.version ?? '', count: 0 };
    row.count += 1;
    onPreprod.set(key, row);
  }
  const others = [...onPreprod]
    .filter(([, row]) => row.count >= settings.quorumNodes)
    .map(([key, row]) => ({ key, version: row.version }))
    .sort((a, b) => compareVersions(b.version, a.version))
    .slice(0, 2);
  return { release, reachedMs, steadyMs: settings.steadyHours * MS_PER_HOUR, seenBeforeReach: seen, others };
}

/**
 * `last`: the node's last answered values; `sinceMs`: when its trouble began
 * (the first silent scan, or the scan of the fallback when it never went
 * silent). Null context: the release has not reached preprod.
 */
export function chargedToRelease(ctx: ChargeContext | null, entry: NodeEntry, last: NodeState, sinceMs: number) {
  if (ctx === null || last.cohort !== 'selected') return false;
  if (runsRelease(last, ctx.release)) return true;
  if (sinceMs <= ctx.reachedMs - PULL_LEAD_MS || last.mode !== 'preprod' || last.version === null) return false;
  if (isNewerRelease(last, ctx.release, ctx.seenBeforeReach)) return false;
  if (entry.keySinceMs > ctx.reachedMs - ctx.steadyMs) return false;
  const lastKey = releaseKeyOf(last);
  const version = last.version;
  // Another release at least as new as the node's was on preprod: it may have pulled that one instead.
  return !ctx.others.some((o) => o.key !== lastKey && compareVersions(o.version, version) >= 0);
}
