/**
 * One seeded release run judged with the health signals (docs/health.md,
 * "The release simulator"): the gate table's run (releaseRun.ts: the real
 * fleet model, EvidenceTracker and judge()) on a release that keeps its nodes
 * answering, with the health model scanned hourly and the criteria of
 * signalCriteria() appended to judge() at every look. The signals are judged
 * by the tracker (healthTracker.ts), or with `judgeWith: 'ledger'` by a real
 * HealthLedger fed the same scans and judgeHealth() (same verdicts, slower).
 */
import { seededRandom } from '../../cohort/random';
import { signalCriteria } from '../../gate/judge/signalCriteria';
import type { GateSettings } from '../judge/gateSettings';
import type { Criterion } from '../judge/verdict';
import type { Disturbances, FleetAssumptions } from './assumptions';
import type { HealthAssumptions, HealthScenario } from './healthAssumptions';
import { HealthModel } from './healthModel';
import { TRACKER_DEFAULTS, type TrackerSettings } from './healthTracker';
import type { StoredHealth } from '../../health/encode';
import { type HealthJudgement, HealthLedger, judgeHealth, type StoredScanEntry } from '../../health/ledger';
import { SIGNAL_RULES, type SignalRule } from '../../health/signalRules';
import { runRelease, type RunOutcome } from './releaseRun';

export interface HealthRunOutcome extends RunOutcome {
  /** The signals whose `.lower` criterion was unmet at the last look (why it halted, if by a signal). */
  haltedBySignals: string[];
}

/** Scans a run can have: warm-up, the push's fraction of an hour, the horizon, and a follow-up's delay. */
export function maxScansOf(a: FleetAssumptions, d: Disturbances): number {
  return Math.ceil(a.warmupHours + 1 + a.horizonHours + (d.followUp?.afterHours ?? 0)) + 2;
}

export interface HealthRunOptions {
  /** Signal rules and margins (a what-if; the tracker only). Default SIGNAL_RULES. */
  rules?: readonly SignalRule[];
  tracker?: TrackerSettings;
  /** Who judges the signals at each look. Default 'tracker'. */
  judgeWith?: 'tracker' | 'ledger';
}

/** A real HealthLedger fed each scan's stored health; judgeHealth() at every look. */
function ledgerJudge(commit: string, keys: readonly string[], promoteAlpha: number) {
  const ledger = new HealthLedger(commit);
  let entries: StoredScanEntry[] = [];
  return {
    listener: (i: number, stored: StoredHealth, preprod: boolean, nodeCommit: string | null) =>
      entries.push({ key: keys[i], stored, preprod, commit: nodeCommit }),
    judge: (): HealthJudgement => {
      ledger.addStoredScan(entries);
      entries = [];
      return judgeHealth(ledger, { promoteAlpha });
    },
  };
}

export function runHealthRelease(
  fleetAssumptions: FleetAssumptions,
  health: HealthAssumptions,
  scenario: HealthScenario,
  gate: GateSettings,
  seed: number,
  d: Disturbances,
  options: HealthRunOptions = {},
): HealthRunOutcome {
  if (d.scanMinutes !== 60)
    throw new RangeError(`Expected hourly scans for the health signals, got ${d.scanMinutes} min.`);
  let last: Criterion[] = [];
  // Its own stream: the fleet's events are those of the gate table's run with the same seed.
  const random = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  const outcome = runRelease(fleetAssumptions, { kind: 'healthy', harm: 0 }, gate, seed, d, (fleet) => {
    // The signals' promote tests share the gate's false-promote budget, as the gate command's do.
    const promoteAlpha = 1 - gate.confidence;
    const real = options.judgeWith === 'ledger' ? ledgerJudge(fleet.judged.commit, fleet.keys, promoteAlpha) : null;
    const model = new HealthModel(
      health,
      scenario,
      fleetAssumptions.nodes,
      maxScansOf(fleetAssumptions, d),
      random,
      fleet.judged.commit,
      { ...(options.tracker ?? TRACKER_DEFAULTS), promoteAlpha },
      real?.listener,
      options.rules ?? SIGNAL_RULES,
    );
    return (f, hour, states) => {
      model.observe(f, hour, states);
      last = signalCriteria(real ? real.judge() : model.tracker.judge());
      return last;
    };
  });
  const haltedBySignals = last.filter((c) => c.name.endsWith('.lower') && !c.met).map((c) => c.name.split('.')[1]);
  return { ...outcome, haltedBySignals };
}
