/**
 * Reading the stored documents of docs/design.md §3 and §9, and the one
 * re-draw rule. Pure: every stored document is untrusted (hand edits, older
 * versions, torn writes), so a document of the wrong shape is "malformed" and
 * leads to a new draw or a fresh count, never to an exception. Dates are never
 * mutated here, so parsed records share the input's Date objects.
 */
import { isPlainObject } from '../text';
import { describeValue } from '../config/settings';
import {
  BOOT_HEALTH_KEY,
  COHORT_KEY,
  type CohortRecord,
  type LegacyCohortRecord,
  type PreProdSettings,
  type StoredDocument,
} from '../types';

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/** One change to the state store, applied in array order. */
export type StoreWrite = { key: string; value: StoredDocument } | { key: string; delete: true };

/** What the stored cohort document turned out to be. */
export type ParsedCohort =
  | { kind: 'missing' }
  | { kind: 'current'; record: CohortRecord }
  | { kind: 'legacy'; record: LegacyCohortRecord }
  | { kind: 'malformed'; problem: string };

/** Why a node draws anew; null from redrawReason() means the stored draw stands. */
export type RedrawReason = 'missing' | 'malformed' | 'expired' | 'future-dated' | 'legacy-expired';

/** The crash-loop counter stored under BOOT_HEALTH_KEY (docs/design.md §9). */
export interface BootHealthRecord {
  key: typeof BOOT_HEALTH_KEY;
  /** The rolledAt of the cohort period the count belongs to; another period's count is void. */
  cohortRolledAt: Date;
  /** Unhealthy preprod boots in a row. */
  unhealthyBoots: number;
  /** Set once the node fell back to production; it stays there for the rest of the period. */
  fellBackAt?: Date;
  /**
   * Set by a boot that runs preprod code, cleared when it is marked healthy:
   * found by the next boot, it means that boot ended unhealthy, and counts.
   */
  openSince?: Date;
  /** The id of the newest start record (cohort/bootRecords.ts) folded into the count; later ones are not yet. */
  countedThrough?: string;
  updatedAt: Date;
}

export function isValidDate(value: unknown): value is Date {
  // The toString tag also accepts a Date from another realm; instanceof is only the fast path.
  const isDate = value instanceof Date || Object.prototype.toString.call(value) === '[object Date]';
  return isDate && !Number.isNaN((value as Date).getTime());
}

function expected(name: string, what: string, value: unknown): string {
  return `Expected \`${name}\` to be ${what}, got ${describeValue(value)}.`;
}

/** Classifies the stored cohort document; never throws. */
export function parseCohortRecord(doc: StoredDocument | null): ParsedCohort {
  if (doc === null || doc === undefined) return { kind: 'missing' };
  if (!isPlainObject(doc)) return { kind: 'malformed', problem: expected('the cohort record', 'an object', doc) };
  // Plain named reads: the stores hand out freshly decoded data objects (JSON, BSON), and named reads keep
  // the hundreds of thousands of boots of a fleet simulation cheap.
  const { key, value, draw, probability, rolledAt, updatedAt, _idTime: idTime } = doc;
  if (key !== undefined && key !== COHORT_KEY) {
    return { kind: 'malformed', problem: expected('key', `'${COHORT_KEY}'`, key) };
  }
  if (typeof value !== 'boolean') return { kind: 'malformed', problem: expected('value', 'a boolean', value) };

  // The seed stored only { key, value }; any of the newer fields means a current record, which must be whole.
  if (draw === undefined && rolledAt === undefined && probability === undefined && updatedAt === undefined) {
    if (idTime === undefined) return { kind: 'legacy', record: { key: COHORT_KEY, value } };
    if (!isValidDate(idTime)) return { kind: 'malformed', problem: expected('_idTime', 'a valid date', idTime) };
    return { kind: 'legacy', record: { key: COHORT_KEY, value, _idTime: idTime } };
  }

  if (typeof draw !== 'number' || !(draw >= 0 && draw < 1)) {
    return { kind: 'malformed', problem: expected('draw', 'a number from 0 up to but not including 1', draw) };
  }
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
    return { kind: 'malformed', problem: expected('probability', 'a number from 0 to 1', probability) };
  }
  if (!isValidDate(rolledAt)) return { kind: 'malformed', problem: expected('rolledAt', 'a valid date', rolledAt) };
  if (!isValidDate(updatedAt)) return { kind: 'malformed', problem: expected('updatedAt', 'a valid date', updatedAt) };
  return {
    kind: 'current',
    record: { key: COHORT_KEY, value, draw, rolledAt, probability, updatedAt },
  };
}

/** Reads the crash-loop counter; null when it is missing or malformed (a malformed count starts over). */
export function parseBootHealth(doc: StoredDocument | null): BootHealthRecord | null {
  if (!isPlainObject(doc)) return null;
  const { key, cohortRolledAt, unhealthyBoots, fellBackAt, openSince, countedThrough, updatedAt } = doc;
  if (key !== undefined && key !== BOOT_HEALTH_KEY) return null;
  if (!isValidDate(cohortRolledAt)) return null;
  if (typeof unhealthyBoots !== 'number' || !Number.isSafeInteger(unhealthyBoots) || unhealthyBoots < 0) return null;
  if (fellBackAt !== undefined && fellBackAt !== null && !isValidDate(fellBackAt)) return null;
  const record: BootHealthRecord = {
    key: BOOT_HEALTH_KEY,
    cohortRolledAt,
    unhealthyBoots,
    // updatedAt is informative only; a missing one does not void the count.
    updatedAt: isValidDate(updatedAt) ? updatedAt : cohortRolledAt,
  };
  if (isValidDate(fellBackAt)) record.fellBackAt = fellBackAt;
  // A malformed open mark is no open boot: the count is never raised on a guess.
  if (isValidDate(openSince)) record.openSince = openSince;
  if (typeof countedThrough === 'string') record.countedThrough = countedThrough;
  return record;
}

/** True only for a stored opt-out that says so; any other shape is no opt-out. */
export function isStoredOptOut(doc: StoredDocument | null): boolean {
  return isPlainObject(doc) && doc.optedOut === true;
}

/** When the draw made at `rolledAt` expires. */
export function nextRollAt(rolledAt: Date, settings: Pick<PreProdSettings, 'daysToNextEval'>): Date {
  return new Date(rolledAt.getTime() + settings.daysToNextEval * MS_PER_DAY);
}

/**
 * THE rule for "when is a node drawn anew"; nothing else in the package
 * decides it. A draw stands for `daysToNextEval` days from rolledAt (it
 * expires at exactly rolledAt + days). A rolledAt further in the future than
 * the clock-skew allowance cannot be trusted to expire, so it is drawn anew.
 * A seed record stands until its ObjectId time + days; one that cannot be
 * dated is replaced at once. The configured probability plays no part: a
 * probability change, even to 0 (the kill switch), keeps every draw.
 */
export function redrawReason(parsed: ParsedCohort, settings: PreProdSettings, now: Date): RedrawReason | null {
  const skewMs = settings.clockSkewMinutes * MS_PER_MINUTE;
  switch (parsed.kind) {
    case 'missing':
      return 'missing';
    case 'malformed':
      return 'malformed';
    case 'current': {
      const { rolledAt } = parsed.record;
      if (rolledAt.getTime() - now.getTime() > skewMs) return 'future-dated';
      if (nextRollAt(rolledAt, settings).getTime() <= now.getTime()) return 'expired';
      return null;
    }
    case 'legacy': {
      const idTime = parsed.record._idTime;
      if (idTime === undefined) return 'legacy-expired';
      if (idTime.getTime() - now.getTime() > skewMs) return 'future-dated';
      if (nextRollAt(idTime, settings).getTime() <= now.getTime()) return 'legacy-expired';
      return null;
    }
  }
}
