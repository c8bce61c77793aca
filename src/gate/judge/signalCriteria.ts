/**
 * The health signals of docs/health.md as gate criteria, in pairs like the
 * other health criteria (verdict.ts): `signal.<name>.upper` is met when the
 * whole fleet's upper bound of the harm is within the signal's margin
 * (needed to promote); `signal.<name>.lower` is unmet when some judged
 * stratum's lower bound shows harm beyond the halt margin (halts). Pure.
 */
import type { HealthJudgement } from '../../health/ledger';
import { SIGNAL_RULES, type SignalName } from '../../health/signalRules';
import { round6 } from '../../stats/round6';
import type { Criterion } from './verdict';

/** Margins the judgement was made with, when the gate's settings override the rules' (signalJudge.ts). */
export type SignalMargins = Partial<Record<SignalName, { margin: number; haltMargin: number }>>;

/** Two criteria per judged signal, in the order of SIGNAL_RULES. */
export function signalCriteria(health: HealthJudgement, margins: SignalMargins = {}): Criterion[] {
  const criteria: Criterion[] = [];
  for (const { name, judgement } of health.signals) {
    const rule = SIGNAL_RULES.find((r) => r.name === name);
    if (rule === undefined) continue;
    const whole = judgement.strata.find((s) => s.stratum === 'all');
    const judged = judgement.strata.filter((s) => s.judged);
    const highestLow = judged.length === 0 ? null : Math.max(...judged.map((s) => s.bounds.low));
    criteria.push(
      {
        name: `signal.${name}.upper`,
        met: judgement.notWorse,
        value: whole?.judged ? round6(whole.bounds.high) : null,
        threshold: margins[name]?.margin ?? rule.margin,
      },
      {
        name: `signal.${name}.lower`,
        met: !judgement.halt,
        value: highestLow === null ? null : round6(highestLow),
        threshold: margins[name]?.haltMargin ?? rule.haltMargin,
      },
    );
  }
  return criteria;
}
