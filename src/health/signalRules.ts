/**
 * Each health signal as good / bad per scan, with its margin (docs/health.md
 * "Margins"). Pure. A margin is the harm accepted, in the same unit the gate
 * judges: the share of release nodes that worsen minus the share of
 * production nodes that worsen over the same hours.
 */
import { BAD, GOOD, UNKNOWN, type SignalSeries } from './didStats';
import type { StoredHealth } from './encode';

export type SignalName = 'confirmed' | 'benchmark' | 'apps' | 'peers' | 'sync' | 'answer' | 'degraded' | 'restarts';

export interface SignalRule {
  name: SignalName;
  /** What "good" means, said once for docs and reports. */
  good: string;
  /** Harm accepted for promotion (the whole fleet's upper bound must be within it). */
  margin: number;
  /** Harm that halts once shown (any stratum's lower bound above it). */
  haltMargin: number;
  /**
   * Rise of a node's bad share, from the window before it took the release to the window after, that makes
   * it worse (didStats.ts, docs/health.md "Lasting and passing losses").
   */
  worsenShare: number;
  /** GOOD, BAD or UNKNOWN for one scan; `previous` is the node's last scan with a value (for restarts). */
  value(current: StoredHealth | null, previous: StoredHealth | null): number;
}

function flag(value: boolean | null): number {
  return value === null ? UNKNOWN : value ? GOOD : BAD;
}

/** A loss that lasts from the switch: 9 of 12 scans bad more than before (confirmed, benchmark, apps). */
const LASTING = 0.75;
/** Trouble that comes and goes: 3 of 12 scans bad more than before (the noisy levels, restarts, envelopes). */
const PASSING = 0.25;
/** The promote margin of the lasting losses: one number, since they are chosen together (see below). */
const LASTING_MARGIN = 0.014;

/**
 * Margins (docs/health.md "Margins", "Why 1.4, 2 and 3 points"). Promotion
 * needs the whole fleet's upper bound within `margin`: 1.4 points for the
 * lasting losses (confirmed, benchmark, apps), whose noise the rise of 0.75
 * keeps low: with ~780 release nodes (home nodes asleep) 1.3 points let a
 * healthy release wait on one of them too often, and a 1-point harm is still
 * rarely promoted by the one-alternative promote test (eProcess.ts); 2 for
 * degraded and restarts; 3 for the noisier levels (peers, sync, answer time).
 * A halt needs a stratum's lower bound above
 * `haltMargin`: 0 for the hard signals, since production nodes over the same
 * hours and in the same stratum are the baseline, any shown excess of
 * worsening is the release's doing; 0.5 points for the noisy levels, so a
 * release that merely shifts answer times a little does not halt.
 */
export const SIGNAL_RULES: readonly SignalRule[] = [
  {
    name: 'confirmed',
    good: 'node.status is CONFIRMED',
    margin: LASTING_MARGIN,
    haltMargin: 0,
    worsenShare: LASTING,
    value: (c) => flag(c?.confirmed ?? null),
  },
  {
    name: 'benchmark',
    good: 'benchmark at a valid tier',
    margin: LASTING_MARGIN,
    haltMargin: 0,
    worsenShare: LASTING,
    value: (c) => flag(c?.benchmarkPassing ?? null),
  },
  {
    name: 'apps',
    good: 'runs at least one app',
    margin: LASTING_MARGIN,
    haltMargin: 0,
    worsenShare: LASTING,
    value: (c) => flag(c === null || c.runningApps === null ? null : c.runningApps > 0),
  },
  {
    name: 'peers',
    good: 'at least 4 outgoing peers',
    margin: 0.03,
    haltMargin: 0.005,
    worsenShare: PASSING,
    value: (c) => flag(c === null || c.peersOutLevel === null ? null : c.peersOutLevel >= 2),
  },
  {
    name: 'sync',
    good: 'at most 20 blocks behind the median',
    margin: 0.03,
    haltMargin: 0.005,
    worsenShare: PASSING,
    value: (c) => flag(c === null || c.lagLevel === null ? null : c.lagLevel <= 1),
  },
  {
    name: 'answer',
    good: '/flux/info answered in under 2 s',
    margin: 0.03,
    haltMargin: 0.005,
    worsenShare: PASSING,
    value: (c) => flag(c === null || c.answerLevel === null ? null : c.answerLevel === 0),
  },
  {
    name: 'degraded',
    good: '/flux/info answers with a success envelope',
    margin: 0.02,
    haltMargin: 0,
    worsenShare: PASSING,
    value: (c) => flag(c === null ? null : c.degraded === null),
  },
  {
    name: 'restarts',
    good: 'same FluxOS process as at the last scan',
    margin: 0.02,
    haltMargin: 0,
    worsenShare: PASSING,
    value: (c, p) =>
      flag(
        c === null || p === null || c.bootMinute === null || p.bootMinute === null
          ? null
          : c.bootMinute === p.bootMinute,
      ),
  },
];

/** One signal's per-scan values of a node from what the history stored for it (null: no answer that scan). */
export function seriesOf(stored: readonly (StoredHealth | null)[], rule: SignalRule): SignalSeries {
  const series = new Int8Array(stored.length);
  let previous: StoredHealth | null = null;
  for (let scan = 0; scan < stored.length; scan += 1) {
    series[scan] = rule.value(stored[scan], previous);
    if (stored[scan] !== null) previous = stored[scan];
  }
  return series;
}
