/**
 * The boot decision of docs/design.md §3 and the crash-loop fallback of §9,
 * as pure functions: the stored documents, the time and a random source come
 * in, a decision and the store writes that persist it go out. Nothing here
 * reads a clock, draws a random number on its own, or touches the store.
 */
import type { RandomSource } from './random';
import { OPT_OUT_KEY, type PreProdSettings, type ReasonCode, type StoredDocument, type UserFlags } from '../types';
import type { BranchDecision, Decision, DecisionFields, SkippedDecision } from './decision';
import { evaluateCohort, type CohortInfo } from './draw';
import { evaluateHealth, healthWrite } from './health';
import { isStoredOptOut, parseBootHealth, type StoreWrite } from './records';

export type { BranchDecision, Decision, SkippedDecision } from './decision';
export { describeDecision } from './describe';
export { markHealthyWrite } from './health';
export type { HealthInfo } from './health';
export type { CohortInfo } from './draw';
export { cohortPeriod, nextRollAt, parseBootHealth, parseCohortRecord, redrawReason } from './records';
export type { BootHealthRecord, ParsedCohort, PeriodVerdict, RedrawReason, StoreWrite } from './records';

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
  /**
   * Why userconfig.js could not be read or its disablePreProd understood: the
   * node is opted out for this boot only, and nothing is remembered (rule 8).
   */
  userconfigProblem?: string | null;
  /** When the package last ended the process itself; the boot it ended does not count as unhealthy. */
  restartMarkerAt?: Date | null;
  /** False for a background check of a running process: the previous boot is that process. Default true. */
  countPreviousBoot?: boolean;
}

/**
 * Whether an explicit `disablePreProd: false` is set. Only the boolean false
 * clears a remembered opt-out; absent or null keeps it; any other truthy value
 * opts out (docs/design.md §3 says "truthy"); other falsy values (0, '') neither
 * opt out nor clear, because keeping an opt-out is the safer mistake.
 */
function optOutFlag(value: unknown): 'opt-out' | 'clear' | 'absent' {
  if (value === false) return 'clear';
  if (value) return 'opt-out';
  return 'absent';
}

const SKIPPED: SkippedDecision = Object.freeze({
  mode: 'skipped',
  reason: 'development',
  targetBranch: null,
  cohort: null,
  optedOut: false,
  health: null,
  writes: [] as StoreWrite[],
  counter: null,
  needsStore: false,
}) as SkippedDecision;

function production(
  settings: PreProdSettings,
  reason: ReasonCode,
  fields: Partial<DecisionFields> & Pick<DecisionFields, 'writes'>,
): BranchDecision {
  return {
    mode: 'production',
    reason,
    targetBranch: settings.productionBranch,
    cohort: null,
    optedOut: false,
    health: null,
    counter: null,
    needsStore: true,
    ...fields,
  };
}

/** Rule 2 and 8: an opt-out from userconfig.js, remembered unless it could not be read. */
function optOutDecision(input: DecisionInput, writes: StoreWrite[]): BranchDecision {
  const { settings, now } = input;
  if (input.userconfigProblem) {
    const note = `${input.userconfigProblem}; opted out for this boot only, not remembered`;
    return production(settings, 'disabled', { optedOut: true, needsStore: false, note, writes: [] });
  }
  // Remembered because FluxOS rewrites userconfig.js from a fixed key list and may drop the key.
  if (!isStoredOptOut(input.optOutDoc)) {
    writes.push({ key: OPT_OUT_KEY, value: { key: OPT_OUT_KEY, optedOut: true, updatedAt: new Date(now.getTime()) } });
  }
  return production(settings, 'disabled', { optedOut: true, needsStore: false, writes });
}

/**
 * The date the crash-loop counter of this draw's period is kept under: the
 * counter's own when it is one of the dates the draw has been known by (a
 * re-dated record, rule 3), so a clock jump never starts a new period and never
 * wipes a fallback; else the draw's rolledAt.
 */
export function healthPeriod(healthDoc: StoredDocument | null, cohort: CohortInfo): Date {
  const stored = cohort.periodDates === null ? null : parseBootHealth(healthDoc);
  if (stored === null || cohort.periodDates === null) return cohort.rolledAt;
  const time = stored.cohortRolledAt.getTime();
  return cohort.periodDates.some((date) => date.getTime() === time) ? stored.cohortRolledAt : cohort.rolledAt;
}

/** The whole boot decision of docs/design.md §3 and the crash-loop fallback of §9. */
export function decide(input: DecisionInput): Decision {
  const { settings, flags, now } = input;
  if (flags.development) return { ...SKIPPED, writes: [] };
  const writes: StoreWrite[] = [];
  const flag = input.userconfigProblem ? 'opt-out' : optOutFlag(flags.disablePreProd);
  if (flag === 'opt-out') return optOutDecision(input, writes);
  if (flag === 'clear') {
    if (input.optOutDoc !== null && input.optOutDoc !== undefined) writes.push({ key: OPT_OUT_KEY, delete: true });
  } else if (isStoredOptOut(input.optOutDoc)) {
    return production(settings, 'disabled', { optedOut: true, writes });
  }

  const cohort = evaluateCohort(input, writes);
  const needsStore = settings.probability > 0;
  // Most nodes: not selected and no counter, so nothing to count (and a fleet simulation stays cheap).
  if (!cohort.selected && input.healthDoc === null)
    return production(settings, 'not-selected', { cohort, needsStore, writes });
  const health = evaluateHealth({
    healthDoc: input.healthDoc,
    rolledAt: healthPeriod(input.healthDoc, cohort),
    maxUnhealthyBoots: settings.maxUnhealthyBoots,
    now,
    restartMarkerAt: input.restartMarkerAt ?? null,
    countPreviousBoot: input.countPreviousBoot ?? true,
  });
  const counter = { record: health.record, changed: health.changed };
  const preprod = cohort.selected && !health.fellBack;
  const write = healthWrite(health.record, health.changed, preprod, now);
  if (write !== null) writes.push(write);
  if (!cohort.selected) return production(settings, 'not-selected', { cohort, counter, needsStore, writes });
  if (health.fellBack) return production(settings, 'crash-loop', { cohort, health: health.info, counter, writes });
  const fields = { cohort, optedOut: false, health: health.info, counter, needsStore: true, writes };
  return { mode: 'preprod', reason: 'selected', targetBranch: settings.branch, ...fields };
}

/**
 * Rule 7: the decision when the store cannot be read. Opt-out and the kill
 * switch need no store; anything else cannot be decided (null: the node stays
 * where it is, reason store-unavailable).
 */
export function decideWithoutStore(
  input: Omit<DecisionInput, 'cohortDoc' | 'optOutDoc' | 'healthDoc'>,
  storeProblem: string,
): Decision | null {
  const { settings, flags } = input;
  if (flags.development) return { ...SKIPPED, writes: [] };
  const unread = `the store could not be read: ${storeProblem}`;
  if (input.userconfigProblem || optOutFlag(flags.disablePreProd) === 'opt-out') {
    const why = input.userconfigProblem
      ? `${input.userconfigProblem}; opted out for this boot only`
      : 'the operator opted out with disablePreProd';
    return production(settings, 'disabled', {
      optedOut: true,
      needsStore: false,
      note: `${why}; ${unread}`,
      writes: [],
    });
  }
  if (settings.probability === 0) {
    return production(settings, 'not-selected', {
      needsStore: false,
      note: `kill switch: probability 0; ${unread}`,
      writes: [],
    });
  }
  return null;
}
