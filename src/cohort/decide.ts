/**
 * The boot decision of DESIGN §3 and the crash-loop fallback of §9, as pure
 * functions: the stored documents, the time and a random source come in, a
 * decision and the store writes that persist it go out. Nothing here reads a
 * clock, draws a random number on its own, or touches the store.
 *
 * Every stored document is untrusted (hand edits, older versions, torn
 * writes): a document of the wrong shape is "malformed" and leads to a new
 * draw, never to an exception. Dates are never mutated here, so parsed
 * records share the input's Date objects instead of copying them.
 */
import { describeValue } from '../config/settings';
import type { RandomSource } from './random';
import {
  BOOT_HEALTH_KEY,
  COHORT_KEY,
  OPT_OUT_KEY,
  type CohortRecord,
  type LegacyCohortRecord,
  type Mode,
  type PreProdSettings,
  type ReasonCode,
  type StoredDocument,
  type UserFlags,
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

/** The crash-loop counter stored under BOOT_HEALTH_KEY (DESIGN §9). */
export interface BootHealthRecord {
  key: typeof BOOT_HEALTH_KEY;
  /** The rolledAt of the cohort period the count belongs to; another period's count is void. */
  cohortRolledAt: Date;
  /** Preprod boots in a row not (yet) marked healthy. */
  unhealthyBoots: number;
  /** Set once the node fell back to production; it stays there for the rest of the period. */
  fellBackAt?: Date;
  updatedAt: Date;
}

export interface DecisionInput {
  settings: PreProdSettings;
  flags: UserFlags;
  /** The document under COHORT_KEY, or null. */
  cohortDoc: StoredDocument | null;
  /** The document under OPT_OUT_KEY, or null. */
  optOutDoc: StoredDocument | null;
  /** The document under BOOT_HEALTH_KEY, or null. */
  healthDoc: StoredDocument | null;
  now: Date;
  /** Consulted only when a new draw is needed. */
  random: RandomSource;
}

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
}

export interface Decision {
  mode: Mode;
  reason: ReasonCode;
  /** The branch the checkout should be on; null for a skipped node. */
  targetBranch: string | null;
  /** Null when the cohort was not consulted (development node, opt-out). */
  cohort: CohortInfo | null;
  optedOut: boolean;
  /** The crash-loop counter of this cohort period after this boot; null unless the cohort selected the node. */
  health: { unhealthyBoots: number; maxUnhealthyBoots: number; fellBackAt: Date | null } | null;
  /** What to persist, in order. Empty when nothing changed. */
  writes: StoreWrite[];
}

// ---------------------------------------------------------------------------
// Reading untrusted documents

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidDate(value: unknown): value is Date {
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
  const { key, cohortRolledAt, unhealthyBoots, fellBackAt, updatedAt } = doc;
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
  return record;
}

/** True only for a stored opt-out that says so; any other shape is no opt-out. */
function isStoredOptOut(doc: StoredDocument | null): boolean {
  return isPlainObject(doc) && doc.optedOut === true;
}

// ---------------------------------------------------------------------------
// The re-draw rule

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
export function redrawReason(
  parsed: ParsedCohort,
  settings: PreProdSettings,
  now: Date,
): RedrawReason | null {
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

// ---------------------------------------------------------------------------
// The boot decision

function checkedDraw(value: number): number {
  // A broken random source must not write a draw that the next boot would call malformed.
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(`Expected the random source to return a number from 0 up to but not including 1, got ${describeValue(value)}.`);
  }
  return value;
}

/**
 * Whether an explicit `disablePreProd: false` is set. Only the boolean false
 * clears a remembered opt-out; absent or null keeps it; any other truthy value
 * opts out (DESIGN §3 says "truthy"); other falsy values (0, '') neither opt
 * out nor clear, because keeping an opt-out is the safer mistake.
 */
function optOutFlag(value: unknown): 'opt-out' | 'clear' | 'absent' {
  if (value === false) return 'clear';
  if (value) return 'opt-out';
  return 'absent';
}

/** The whole boot decision of DESIGN §3 and the crash-loop fallback of §9. */
export function decide(input: DecisionInput): Decision {
  const { settings, flags, now } = input;
  if (flags.development) {
    return { mode: 'skipped', reason: 'development', targetBranch: null, cohort: null, optedOut: false, health: null, writes: [] };
  }

  const writes: StoreWrite[] = [];
  const production = (reason: ReasonCode, cohort: CohortInfo | null, optedOut: boolean, health: Decision['health']): Decision => ({
    mode: 'production',
    reason,
    targetBranch: settings.productionBranch,
    cohort,
    optedOut,
    health,
    writes,
  });

  const flag = optOutFlag(flags.disablePreProd);
  if (flag === 'opt-out') {
    // Remembered because FluxOS rewrites userconfig.js from a fixed key list and may drop the key.
    if (!isStoredOptOut(input.optOutDoc)) {
      writes.push({ key: OPT_OUT_KEY, value: { key: OPT_OUT_KEY, optedOut: true, updatedAt: new Date(now.getTime()) } });
    }
    return production('disabled', null, true, null);
  }
  if (flag === 'clear') {
    if (input.optOutDoc !== null && input.optOutDoc !== undefined) writes.push({ key: OPT_OUT_KEY, delete: true });
  } else if (isStoredOptOut(input.optOutDoc)) {
    return production('disabled', null, true, null);
  }

  const cohort = evaluateCohort(input, writes);
  if (!cohort.selected) return production('not-selected', cohort, false, null);

  const max = settings.maxUnhealthyBoots;
  const health = parseBootHealth(input.healthDoc);
  const samePeriod = health !== null && health.cohortRolledAt.getTime() === cohort.rolledAt.getTime();
  if (samePeriod && (health.fellBackAt !== undefined || health.unhealthyBoots >= max)) {
    let fellBackAt = health.fellBackAt;
    if (fellBackAt === undefined) {
      fellBackAt = new Date(now.getTime());
      writes.push({ key: BOOT_HEALTH_KEY, value: { ...health, fellBackAt, updatedAt: new Date(now.getTime()) } });
    }
    return production('crash-loop', cohort, false, { unhealthyBoots: health.unhealthyBoots, maxUnhealthyBoots: max, fellBackAt });
  }

  // Counted before the boot is known to be good: a boot that crashes never gets to count itself.
  const unhealthyBoots = samePeriod ? health.unhealthyBoots + 1 : 1;
  const counter: BootHealthRecord = {
    key: BOOT_HEALTH_KEY,
    cohortRolledAt: new Date(cohort.rolledAt.getTime()),
    unhealthyBoots,
    updatedAt: new Date(now.getTime()),
  };
  writes.push({ key: BOOT_HEALTH_KEY, value: { ...counter } });
  return {
    mode: 'preprod',
    reason: 'selected',
    targetBranch: settings.branch,
    cohort,
    optedOut: false,
    health: { unhealthyBoots, maxUnhealthyBoots: max, fellBackAt: null },
    writes,
  };
}

/** Rules 3–5 of DESIGN §3: the stored draw or a new one, and the cohort record writes. */
function evaluateCohort(input: DecisionInput, writes: StoreWrite[]): CohortInfo {
  const { settings, now } = input;
  const probability = settings.probability;
  const parsed = parseCohortRecord(input.cohortDoc);
  const why = redrawReason(parsed, settings, now);

  if (why === null && parsed.kind === 'current') {
    const record = parsed.record;
    const selected = record.draw < probability;
    // The store's `value` is always the outcome at the last evaluation; an unchanged one is not rewritten.
    if (record.value !== selected || record.probability !== probability) {
      writes.push({
        key: COHORT_KEY,
        value: { ...record, value: selected, probability, updatedAt: new Date(now.getTime()) },
      });
    }
    return {
      draw: record.draw,
      probability,
      rolledAt: record.rolledAt,
      nextRollAt: nextRollAt(record.rolledAt, settings),
      rolled: false,
      redrawReason: null,
      legacy: false,
      selected,
    };
  }

  if (why === null && parsed.kind === 'legacy' && parsed.record._idTime !== undefined) {
    // A seed record has no draw to compare; its boolean stands until it expires, except that the kill switch wins.
    const idTime = parsed.record._idTime;
    return {
      draw: null,
      probability,
      rolledAt: idTime,
      nextRollAt: nextRollAt(idTime, settings),
      rolled: false,
      redrawReason: null,
      legacy: true,
      selected: parsed.record.value && probability > 0,
    };
  }

  const draw = checkedDraw(input.random());
  const rolledAt = new Date(now.getTime());
  const selected = draw < probability;
  const record: CohortRecord = { key: COHORT_KEY, value: selected, draw, rolledAt, probability, updatedAt: new Date(now.getTime()) };
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
  };
}

/**
 * The write that marks this boot healthy: the counter of the period goes back
 * to 0. Null when there is nothing to write (no counter, already 0, or the
 * node already fell back: it stays on production for the rest of the period).
 * Apply it only after a boot on preprod; a production boot says nothing about
 * preprod's health.
 */
export function markHealthyWrite(healthDoc: StoredDocument | null, now: Date): StoreWrite | null {
  const health = parseBootHealth(healthDoc);
  if (health === null || health.fellBackAt !== undefined || health.unhealthyBoots === 0) return null;
  return { key: BOOT_HEALTH_KEY, value: { ...health, unhealthyBoots: 0, updatedAt: new Date(now.getTime()) } };
}

// ---------------------------------------------------------------------------
// Log line

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The draw with enough decimals that the printed comparison with the probability reads true. */
function formatDraw(draw: number, probability: number): string {
  const below = draw < probability;
  for (let digits = 4; digits < 17; digits += 1) {
    const text = draw.toFixed(digits);
    if (Number(text) < probability === below) return text;
  }
  return String(draw);
}

const REDRAW_WORDS: Record<RedrawReason, string> = {
  missing: 'no record yet',
  malformed: 'the stored record was malformed',
  expired: 'the previous draw expired',
  'future-dated': 'the stored record was dated in the future',
  'legacy-expired': 'replaces the seed record',
};

function cohortDetail(cohort: CohortInfo): string {
  const period = `rolled ${day(cohort.rolledAt)}, next roll ${day(cohort.nextRollAt)}`;
  const killed = cohort.probability === 0 ? ' (kill switch)' : '';
  if (cohort.draw === null) {
    return `seed record without a draw, honoured until it expires; probability ${cohort.probability}${killed}, ${period}`;
  }
  const comparison = cohort.draw < cohort.probability ? '<' : '>=';
  const drawn = cohort.rolled ? 'new draw' : 'draw';
  const why = cohort.redrawReason === null ? '' : ` (${REDRAW_WORDS[cohort.redrawReason]})`;
  return `${drawn} ${formatDraw(cohort.draw, cohort.probability)} ${comparison} probability ${cohort.probability}${killed}${why}, ${period}`;
}

/** One readable log line, e.g. "preprod: selected (draw 0.0312 < probability 0.07, rolled 2026-11-02, next roll 2026-12-02) → branch preprod". */
export function describeDecision(d: Decision): string {
  const branch = d.targetBranch === null ? 'no branch change' : `branch ${d.targetBranch}`;
  switch (d.reason) {
    case 'development':
      return `${d.mode}: development (a developer's node is never moved) → ${branch}`;
    case 'disabled':
      return `${d.mode}: disabled (the operator opted out with disablePreProd; remembered in the store) → ${branch}`;
    case 'crash-loop': {
      const detail = d.cohort === null ? '' : `${cohortDetail(d.cohort)}; `;
      const boots = d.health === null ? '' : `${d.health.unhealthyBoots} preprod boots in a row were not marked healthy; `;
      const until = d.cohort === null ? '' : ` until ${day(d.cohort.nextRollAt)}`;
      return `${d.mode}: crash-loop (${detail}${boots}production${until}) → ${branch}`;
    }
    default: {
      const detail = d.cohort === null ? '' : ` (${cohortDetail(d.cohort)})`;
      return `${d.mode}: ${d.reason}${detail} → ${branch}`;
    }
  }
}
