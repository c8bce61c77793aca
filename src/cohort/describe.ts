/** The one readable log line of a decision (docs/design.md §3). Pure. */
import type { Decision } from './decision';
import type { CohortInfo } from './draw';
import type { RedrawReason } from './records';

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

const OPTED_OUT_WORDS = 'the operator opted out with disablePreProd; remembered in the store';

const REDRAW_WORDS: Record<RedrawReason, string> = {
  missing: 'no record yet',
  malformed: 'the stored record was malformed',
  expired: 'the previous draw expired',
  'legacy-expired': 'replaces the seed record',
};

const REDATE_WORDS: Record<'redated' | 'restored', string> = {
  redated: 'the stored record was dated ahead of this clock: re-dated, its draw kept',
  restored: 'the clock is back within the period the record was re-dated from',
};

function cohortDetail(cohort: CohortInfo): string {
  const period = `rolled ${day(cohort.rolledAt)}, next roll ${day(cohort.nextRollAt)}`;
  const killed = cohort.probability === 0 ? ' (kill switch)' : '';
  if (cohort.draw === null && cohort.rolled) {
    // status never draws: it shows no draw, and says why the next boot makes one.
    const why = cohort.redrawReason === null ? '' : ` (${REDRAW_WORDS[cohort.redrawReason]})`;
    return `no valid draw yet${why}: the next boot draws; probability ${cohort.probability}${killed}`;
  }
  if (cohort.draw === null) {
    const honoured = 'seed record without a draw, honoured until it expires';
    return `${honoured}; probability ${cohort.probability}${killed}, ${period}`;
  }
  const comparison = cohort.draw < cohort.probability ? '<' : '>=';
  const drawn = cohort.rolled ? 'new draw' : 'draw';
  const why =
    cohort.redrawReason !== null
      ? ` (${REDRAW_WORDS[cohort.redrawReason]})`
      : cohort.redated === null
        ? ''
        : ` (${REDATE_WORDS[cohort.redated]})`;
  const shown = formatDraw(cohort.draw, cohort.probability);
  return `${drawn} ${shown} ${comparison} probability ${cohort.probability}${killed}${why}, ${period}`;
}

function crashLoopDetail(d: Decision): string {
  const detail = d.cohort === null ? '' : `${cohortDetail(d.cohort)}; `;
  const boots = d.health === null ? '' : `${d.health.unhealthyBoots} preprod boots in a row were not marked healthy; `;
  const until = d.cohort === null ? '' : ` until ${day(d.cohort.nextRollAt)}`;
  return `${detail}${boots}production${until}`;
}

/**
 * One readable log line, e.g. "preprod: selected (draw 0.0312 < probability
 * 0.07, rolled 2026-11-02, next roll 2026-12-02) → branch preprod".
 */
export function describeDecision(d: Decision): string {
  const branch = d.targetBranch === null ? 'no branch change' : `branch ${d.targetBranch}`;
  switch (d.reason) {
    case 'development':
      return `${d.mode}: development (a developer's node is never moved) → ${branch}`;
    case 'disabled':
      return `${d.mode}: disabled (${d.note ?? OPTED_OUT_WORDS}) → ${branch}`;
    case 'crash-loop':
      return `${d.mode}: crash-loop (${crashLoopDetail(d)}) → ${branch}`;
    default: {
      const details = [d.cohort === null ? null : cohortDetail(d.cohort), d.note ?? null].filter((x) => x !== null);
      const detail = details.length === 0 ? '' : ` (${details.join('; ')})`;
      return `${d.mode}: ${d.reason}${detail} → ${branch}`;
    }
  }
}
