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
export type RedrawReason = 'missing' | 'malformed' | 'expired' | 'legacy-expired';

/**
 * What becomes of the stored draw's period at this boot (docs/design.md §3 rule 3):
 * - `stands`: the record is used as it is;
 * - `redated`: it was dated ahead of this boot's clock: the draw stays, `rolledAt` becomes now and
 *   `redatedFrom` keeps the latest date it had, because that date may be right and this clock wrong;
 * - `restored`: the clock is back within the period of `redatedFrom`: the record gets that date back;
 * - `redraw`: the draw is over (missing, malformed, expired).
 */
export type PeriodVerdict =
  | { kind: 'stands'; rolledAt: Date }
  | { kind: 'redated'; rolledAt: Date; redatedFrom: Date }
  | { kind: 'restored'; rolledAt: Date }
  | { kind: 'redraw'; why: RedrawReason };

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
  const { key, value, draw, probability, rolledAt, updatedAt, redatedFrom, _idTime: idTime } = doc;
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
  const record: CohortRecord = { key: COHORT_KEY, value, draw, rolledAt, probability, updatedAt };
  // Only a memory of an earlier date: a malformed one is forgotten, the draw itself is sound.
  if (isValidDate(redatedFrom)) record.redatedFrom = redatedFrom;
  return { kind: 'current', record };
}

/** Reads the crash-loop counter; null when it is missing or malformed (a malformed count starts over). */
export function parseBootHealth(doc: StoredDocument | null): BootHealthRecord | null {
  if (!isPlainObject(doc)) return null;
  const { key, cohortRolledAt, unhealthyBoots, fellBackAt, openSince, updatedAt } = doc;
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

type DateStanding = 'future' | 'current' | 'expired';

/** Where `now` falls against the period that began at `start`: ahead of it (beyond the skew), in it, or after. */
function standing(start: Date, settings: PreProdSettings, now: Date): DateStanding {
  if (start.getTime() - now.getTime() > settings.clockSkewMinutes * MS_PER_MINUTE) return 'future';
  return nextRollAt(start, settings).getTime() <= now.getTime() ? 'expired' : 'current';
}

/**
 * THE rule for "when is a node drawn anew, and how is its draw dated"; nothing
 * else in the package decides it. A draw stands for `daysToNextEval` days from
 * rolledAt (it expires at exactly rolledAt + days). A clock can be wrong (a
 * node without an RTC boots before NTP sync): a record dated further ahead than
 * the clock-skew allowance is re-dated, never re-drawn, and remembers its date,
 * so a clock that alternates between wrong and right never draws again and the
 * crash-loop fallback of the period stays. A seed record stands until its
 * ObjectId time + days; one that cannot be dated is replaced at once; one dated
 * ahead stands (its ObjectId cannot be re-dated). The configured probability
 * plays no part: a probability change, even to 0 (the kill switch), keeps every
 * draw.
 */
export function cohortPeriod(parsed: ParsedCohort, settings: PreProdSettings, now: Date): PeriodVerdict {
  switch (parsed.kind) {
    case 'missing':
    case 'malformed':
      return { kind: 'redraw', why: parsed.kind };
    case 'current': {
      const { rolledAt, redatedFrom } = parsed.record;
      const atRoll = standing(rolledAt, settings, now);
      if (atRoll === 'current') return { kind: 'stands', rolledAt };
      const atRemembered = redatedFrom === undefined ? null : standing(redatedFrom, settings, now);
      if (redatedFrom !== undefined && atRemembered === 'current') return { kind: 'restored', rolledAt: redatedFrom };
      // The remembered date counts only while the clock is within its period: a clock once ahead and right
      // since gets a normal period from its first right boot.
      if (atRoll === 'expired') return { kind: 'redraw', why: 'expired' };
      // Ahead of this clock: keep the latest date seen, the likeliest to be right (wrong clocks lag).
      const latest = redatedFrom !== undefined && redatedFrom.getTime() > rolledAt.getTime() ? redatedFrom : rolledAt;
      return { kind: 'redated', rolledAt: new Date(now.getTime()), redatedFrom: latest };
    }
    case 'legacy': {
      const idTime = parsed.record._idTime;
      if (idTime === undefined) return { kind: 'redraw', why: 'legacy-expired' };
      const atId = standing(idTime, settings, now);
      return atId === 'expired' ? { kind: 'redraw', why: 'legacy-expired' } : { kind: 'stands', rolledAt: idTime };
    }
  }
}

/** Why the node draws anew at `now`; null when the stored draw stands (re-dated or not). See cohortPeriod(). */
export function redrawReason(parsed: ParsedCohort, settings: PreProdSettings, now: Date): RedrawReason | null {
  const verdict = cohortPeriod(parsed, settings, now);
  return verdict.kind === 'redraw' ? verdict.why : null;
}
