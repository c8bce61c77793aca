/**
 * The crash-loop fallback of docs/design.md §9, pure. A boot that runs
 * preprod code marks itself open in the counter; marking it healthy closes it.
 * The next boot finds an open mark and counts it as an unhealthy preprod boot,
 * unless the package ended that boot itself (its restart marker is newer than
 * the mark). So the boot that performs a switch (old code) and the package's
 * own restarts never count, and a hung boot counts once it ends.
 */
import { BOOT_HEALTH_KEY, type StoredDocument } from '../types';
import { tallyStarts, type StartJournal } from './bootRecords';
import { parseBootHealth, type BootHealthRecord, type StoreWrite } from './records';

/** The crash-loop counter of this cohort period after this boot. */
export interface HealthInfo {
  unhealthyBoots: number;
  maxUnhealthyBoots: number;
  fellBackAt: Date | null;
}

export interface HealthInput {
  healthDoc: StoredDocument | null;
  /** The rolledAt of the cohort period in force. */
  rolledAt: Date;
  maxUnhealthyBoots: number;
  now: Date;
  /** When the package last ended the process itself (its restart marker); null when it did not. */
  restartMarkerAt: Date | null;
  /** False for a background check: the open mark is the running boot's own, not a boot that ended. */
  countPreviousBoot: boolean;
  /**
   * The start records (cohort/bootRecords.ts) and the running start's id. When given they are the
   * count's source and the open mark is not used; null where the checkout has no `.git` to keep them in.
   */
  starts?: { journal: StartJournal; currentId: string | null } | null;
}

export interface HealthOutcome {
  fellBack: boolean;
  info: HealthInfo;
  /** The counter after counting the previous boot, with no open mark. */
  record: BootHealthRecord;
  /** The record differs from the stored one (a boot was counted, a fallback dated, a new period). */
  changed: boolean;
}

function counted(health: BootHealthRecord, restartMarkerAt: Date | null): number {
  if (health.openSince === undefined) return health.unhealthyBoots;
  const endedByPackage = restartMarkerAt !== null && restartMarkerAt.getTime() >= health.openSince.getTime();
  return endedByPackage ? health.unhealthyBoots : health.unhealthyBoots + 1;
}

/**
 * The counter at this boot: the previous boot counted if it ran preprod code
 * and ended unhealthy; a fallback once `maxUnhealthyBoots` are counted in a
 * row, dated when it happens and kept for the rest of the period.
 */
export function evaluateHealth(input: HealthInput): HealthOutcome {
  const { rolledAt, maxUnhealthyBoots: max, now } = input;
  const stored = parseBootHealth(input.healthDoc);
  const samePeriod = stored !== null && stored.cohortRolledAt.getTime() === rolledAt.getTime();
  const folded = foldCount(input, samePeriod ? stored : null);
  const { unhealthyBoots } = folded;
  const guardFell = guardFallback(input);
  const previousFall = samePeriod ? stored.fellBackAt : undefined;
  const fellBack = previousFall !== undefined || guardFell !== undefined || unhealthyBoots >= max;
  const record: BootHealthRecord = {
    key: BOOT_HEALTH_KEY,
    cohortRolledAt: new Date(rolledAt.getTime()),
    unhealthyBoots,
    updatedAt: new Date(now.getTime()),
  };
  if (folded.countedThrough) record.countedThrough = folded.countedThrough;
  if (fellBack) record.fellBackAt = previousFall ?? guardFell ?? new Date(now.getTime());
  // A counter of another period (or none) starts at 0 and is worth no write of its own.
  const newlyFallen = previousFall === undefined && fellBack;
  const closed = input.countPreviousBoot && stored?.openSince !== undefined;
  const movedOn = folded.countedThrough !== stored?.countedThrough;
  const changed =
    (samePeriod && (stored.unhealthyBoots !== unhealthyBoots || closed || movedOn)) || newlyFallen || folded.counted;
  const info = { unhealthyBoots, maxUnhealthyBoots: max, fellBackAt: record.fellBackAt ?? null };
  return { fellBack, info, record, changed };
}

/** The guard's own fallback (the start records' fellBackAt) when it happened in this cohort period. */
function guardFallback(input: HealthInput): Date | undefined {
  const at = input.starts?.journal.fellBackAt;
  return at !== undefined && at.getTime() >= input.rolledAt.getTime() ? at : undefined;
}

/**
 * The count after folding in what ended since it was last stored: the start records when there are
 * some (each start once, via countedThrough), else the open mark of the previous boot.
 */
function foldCount(
  input: HealthInput,
  stored: BootHealthRecord | null,
): { unhealthyBoots: number; countedThrough?: string; counted: boolean } {
  const base = stored?.unhealthyBoots ?? 0;
  if (!input.countPreviousBoot) return { unhealthyBoots: base, countedThrough: stored?.countedThrough, counted: false };
  if (input.starts === null || input.starts === undefined) {
    return { unhealthyBoots: stored === null ? 0 : counted(stored, input.restartMarkerAt), counted: false };
  }
  // Starts of an earlier period never count: the period's draw is newer than they are.
  const tally = tallyStarts(input.starts.journal, {
    countedThrough: stored?.countedThrough ?? null,
    notBefore: input.rolledAt,
    currentId: input.starts.currentId,
    restartMarkerAt: input.restartMarkerAt,
  });
  const unhealthyBoots = (tally.reset ? 0 : base) + tally.unhealthy;
  return { unhealthyBoots, countedThrough: tally.newest ?? stored?.countedThrough, counted: tally.unhealthy > 0 };
}

/**
 * The counter write of a boot: with an open mark when this boot runs preprod
 * code, else the counted record when it changed, else nothing.
 */
export function healthWrite(
  record: BootHealthRecord,
  changed: boolean,
  runsPreprodCode: boolean,
  now: Date,
): StoreWrite | null {
  if (runsPreprodCode) return { key: BOOT_HEALTH_KEY, value: { ...record, openSince: new Date(now.getTime()) } };
  return changed ? { key: BOOT_HEALTH_KEY, value: { ...record } } : null;
}

/**
 * The write that marks this boot healthy: the open mark goes and the count of
 * the period goes back to 0. Null when there is nothing to write (no counter,
 * nothing counted or open, or the node already fell back: it stays on
 * production for the rest of the period).
 */
export function markHealthyWrite(healthDoc: StoredDocument | null, now: Date): StoreWrite | null {
  const health = parseBootHealth(healthDoc);
  if (health === null || health.fellBackAt !== undefined) return null;
  if (health.unhealthyBoots === 0 && health.openSince === undefined) return null;
  const { openSince: _closed, ...rest } = health;
  return { key: BOOT_HEALTH_KEY, value: { ...rest, unhealthyBoots: 0, updatedAt: new Date(now.getTime()) } };
}
