/**
 * Turns per-node scan results into the fleet summary. Pure: no I/O, no clock.
 */
import { REASON_CODES, type ReasonCode } from '../types';
import { wilsonInterval } from '../stats/wilson';
import { round6 } from '../stats/round6';
import { fleetHealth, type FleetHealth } from '../health/fleetHealth';
import { FAILURE_KINDS_FIXED, isNodeState, type NodeResult } from './classify';

/** Counts keyed by strings that come from strangers: no prototype, so a version named `__proto__` is just a key. */
export type Counts = Record<string, number>;

export interface FleetSummary {
  /** Targets scanned. */
  asked: number;
  /** Nodes that answered with a FluxOS success envelope: preprod + production + unknown. */
  answered: number;
  preprod: number;
  production: number;
  /** Answered without a boolean `flux.preProdNode` (FluxOS without this package, or a broken one). */
  unknown: number;
  /**
   * Nodes that answered with FluxOS's error envelope: alive, a component failed (docs/health.md). Not in
   * `answered` (a success envelope) and not in `failedTotal`: asked = answered + degraded + failedTotal.
   */
  degraded: number;
  /** Degraded nodes by the state `/flux/preprod` gave them (`unknown` without that route). */
  degradedByState: { preprod: number; production: number; unknown: number };
  /** Nodes without a usable answer. */
  failedTotal: number;
  /** Failed nodes by kind; the fixed kinds are always present, `http-<status>` and `aborted` only when seen. */
  failed: Counts;
  /** preprod / (preprod + production) with its 95% Wilson interval; all null when no node reports a branch. */
  share: { value: number | null; low: number | null; high: number | null };
  /** The configured probability the share is compared with. */
  probability: number;
  /** Whether `probability` lies inside the interval; null without an interval. */
  probabilityInInterval: boolean | null;
  /** Observed share minus probability, in percentage points; null without a share. */
  deviation: number | null;
  /** preprod and production nodes by the reason they report; every known code is present, `other` when seen. */
  byReason: Counts;
  /** Versions reported, per state, sorted by count (highest first). */
  versions: { preprod: Counts; production: Counts; unknown: Counts };
  /**
   * Node-list entries dropped before the scan, by address scope (`loopback`,
   * `private`, …) or `unresolved`; present when a node list was screened.
   */
  dropped?: { total: number; byScope: Counts };
  /** Fleet-wide values of the health signals (src/health/fleetHealth.ts). */
  health: FleetHealth;
}

function counts(): Counts {
  return Object.create(null) as Counts;
}

function bump(map: Counts, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

function sortedByCount(map: Counts): Counts {
  const out = counts();
  const entries = Object.keys(map).map((key) => [key, map[key]] as const);
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [key, value] of entries) out[key] = value;
  return out;
}

export function aggregate(
  results: readonly NodeResult[],
  options: { probability: number; nowSeconds?: number },
): FleetSummary {
  const tally = { preprod: 0, production: 0, unknown: 0 };
  const degradedByState = { preprod: 0, production: 0, unknown: 0 };
  const failed = counts();
  for (const kind of FAILURE_KINDS_FIXED) if (kind !== 'aborted') failed[kind] = 0;
  const byReason = counts();
  for (const reason of REASON_CODES) byReason[reason] = 0;
  const versions = { preprod: counts(), production: counts(), unknown: counts() };
  let failedTotal = 0;

  for (const result of results) {
    if (isNodeState(result.kind)) {
      tally[result.kind] += 1;
      if (typeof result.version === 'string') bump(versions[result.kind], result.version);
      if (result.kind !== 'unknown' && typeof result.reason === 'string')
        bump(byReason, result.reason satisfies ReasonCode | 'other');
    } else if (result.kind === 'degraded') {
      degradedByState[result.state ?? 'unknown'] += 1;
    } else {
      failedTotal += 1;
      bump(failed, result.kind);
    }
  }

  const reporting = tally.preprod + tally.production;
  const interval = wilsonInterval(tally.preprod, reporting);
  const value = reporting === 0 ? null : tally.preprod / reporting;
  const probability = options.probability;
  const comparable = interval !== null && value !== null && Number.isFinite(probability);
  return {
    asked: results.length,
    answered: tally.preprod + tally.production + tally.unknown,
    preprod: tally.preprod,
    production: tally.production,
    unknown: tally.unknown,
    degraded: degradedByState.preprod + degradedByState.production + degradedByState.unknown,
    degradedByState,
    failedTotal,
    failed,
    share: { value, low: interval?.low ?? null, high: interval?.high ?? null },
    probability,
    probabilityInInterval: comparable ? interval.low <= probability && probability <= interval.high : null,
    deviation: comparable ? round6((value - probability) * 100) : null,
    byReason,
    versions: {
      preprod: sortedByCount(versions.preprod),
      production: sortedByCount(versions.production),
      unknown: sortedByCount(versions.unknown),
    },
    health: fleetHealth(results, options.nowSeconds),
  };
}
