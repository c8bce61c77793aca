/**
 * Rules 3–5 of docs/design.md §3, pure: the stored draw (or a seed record)
 * stands until it expires; otherwise a new draw from the random source, and
 * the cohort record writes either way.
 */
import { describeValue } from '../config/settings';
import { COHORT_KEY, type CohortRecord, type PreProdSettings, type StoredDocument } from '../types';
import type { RandomSource } from './random';
import {
  cohortPeriod,
  nextRollAt,
  parseCohortRecord,
  type PeriodVerdict,
  type RedrawReason,
  type StoreWrite,
} from './records';

export interface CohortInfo {
  /** The stored draw; null for a seed (legacy) record, which stored only its boolean. */
  draw: number | null;
  /** The probability in force now (the configured one), not the stored one. */
  probability: number;
  rolledAt: Date;
  nextRollAt: Date;
  /** A new draw was made at this boot. */
  rolled: boolean;
  /** Why the draw was made at this boot; null when the stored draw stood. */
  redrawReason: RedrawReason | null;
  /** The decision rests on a seed record honoured until it expires. */
  legacy: boolean;
  /** The cohort picked this node for preprod (before the crash-loop safety net). */
  selected: boolean;
  /** The stored draw stood but its date changed at this boot: a clock behind it, or back within it (rule 3). */
  redated: 'redated' | 'restored' | null;
  /**
   * Every date this draw's period has been known by (before and after a re-date), or null when only
   * rolledAt: the crash-loop counter of the period is found under any of them, so a clock jump starts
   * no new period and wipes no fallback.
   */
  periodDates: readonly Date[] | null;
}

function checkedDraw(value: number): number {
  // A broken random source must not write a draw that the next boot would call malformed.
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(
      `Expected the random source to return a number from 0 up to but not including 1, got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** What evaluateCohort() reads. */
export interface CohortInput {
  settings: PreProdSettings;
  cohortDoc: StoredDocument | null;
  now: Date;
  random: RandomSource;
}

/** A stored draw that stands. One literal shape for every CohortInfo: the fleet simulation runs millions. */
function stoodInfo(
  draw: number | null,
  probability: number,
  rolledAt: Date,
  next: Date,
  legacy: boolean,
  selected: boolean,
  redated: CohortInfo['redated'] = null,
  periodDates: readonly Date[] | null = null,
): CohortInfo {
  const rolled = false;
  return {
    draw,
    probability,
    rolledAt,
    nextRollAt: next,
    rolled,
    redrawReason: null,
    legacy,
    selected,
    redated,
    periodDates,
  };
}

/** A current record whose draw stands (rules 3–4): its date as the verdict says, and the write if anything changed. */
function keptDraw(
  record: CohortRecord,
  verdict: Exclude<PeriodVerdict, { kind: 'redraw' }>,
  input: CohortInput,
  writes: StoreWrite[],
): CohortInfo {
  const { settings, now } = input;
  const probability = settings.probability;
  const selected = record.draw < probability;
  const { redatedFrom: _remembered, ...plain } = record;
  const dated: CohortRecord =
    verdict.kind === 'redated'
      ? { ...plain, rolledAt: verdict.rolledAt, redatedFrom: verdict.redatedFrom }
      : verdict.kind === 'restored'
        ? { ...plain, rolledAt: verdict.rolledAt }
        : record;
  // The store's `value` is always the outcome at the last evaluation; an unchanged one is not rewritten.
  if (verdict.kind !== 'stands' || record.value !== selected || record.probability !== probability) {
    writes.push({
      key: COHORT_KEY,
      value: { ...dated, value: selected, probability, updatedAt: new Date(now.getTime()) },
    });
  }
  const { draw, rolledAt } = dated;
  const redated = verdict.kind === 'stands' ? null : verdict.kind;
  const known = [record.rolledAt, record.redatedFrom, dated.redatedFrom].filter((d) => d !== undefined);
  const periodDates = redated === null && record.redatedFrom === undefined ? null : [rolledAt, ...known];
  const next = nextRollAt(rolledAt, settings);
  return stoodInfo(draw, probability, rolledAt, next, false, selected, redated, periodDates);
}

/** Rules 3–5 of docs/design.md §3: the stored draw or a new one, and the cohort record writes. */
export function evaluateCohort(input: CohortInput, writes: StoreWrite[]): CohortInfo {
  const { settings, now } = input;
  const probability = settings.probability;
  const parsed = parseCohortRecord(input.cohortDoc);
  const verdict = cohortPeriod(parsed, settings, now);

  if (verdict.kind !== 'redraw' && parsed.kind === 'current') return keptDraw(parsed.record, verdict, input, writes);

  if (verdict.kind === 'stands' && parsed.kind === 'legacy') {
    // A seed record has no draw to compare; its boolean stands until it expires, except that the kill switch wins.
    const idTime = verdict.rolledAt;
    const selected = parsed.record.value && probability > 0;
    return stoodInfo(null, probability, idTime, nextRollAt(idTime, settings), true, selected);
  }

  const why = verdict.kind === 'redraw' ? verdict.why : null;
  const draw = checkedDraw(input.random());
  const rolledAt = new Date(now.getTime());
  const selected = draw < probability;
  const record: CohortRecord = {
    key: COHORT_KEY,
    value: selected,
    draw,
    rolledAt,
    probability,
    updatedAt: new Date(now.getTime()),
  };
  writes.push({ key: COHORT_KEY, value: { ...record } });
  return {
    draw,
    probability,
    rolledAt: new Date(now.getTime()),
    nextRollAt: nextRollAt(rolledAt, settings),
    rolled: true,
    redrawReason: why ?? 'malformed',
    legacy: false,
    selected,
    redated: null,
    periodDates: null,
  };
}
