/**
 * The fleet-wide values of the health signals in one scan, for `fleet`'s
 * table and JSON (docs/health.md). Pure: the scan time is an argument.
 * Provider and country names come from strangers: they are values in arrays,
 * never keys of plain objects.
 */
import {
  DEGRADED_CLASSES,
  blockLags,
  lowerMedian,
  uptimeSeconds,
  type DegradedClass,
  type HealthSignals,
} from './signals';

/** A node more blocks than this behind the fleet's median is counted as not in sync (docs/health.md). */
export const SYNC_LAG_BLOCKS = 20;
/** Providers and countries listed; the rest are summed as `others`. */
export const TOP_NAMES = 8;

export interface NamedCount {
  name: string;
  nodes: number;
}

export interface YesNo {
  yes: number;
  no: number;
}

export interface FleetHealth {
  /** Nodes with signals from a success envelope. */
  reporting: number;
  confirmed: YesNo;
  benchmarkPassing: YesNo;
  /** Nodes reporting `apps.runningapps`: how many run at least one app, and all apps run. */
  apps: { reporting: number; hosting: number; total: number };
  /** Medians over the nodes reporting them. */
  peersInMedian: number | null;
  peersOutMedian: number | null;
  blocksMedian: number | null;
  /** Nodes more than SYNC_LAG_BLOCKS behind the median, out of those reporting a height. */
  behind: { reporting: number; nodes: number };
  arcane: number;
  /** Median uptime in hours of nodes reporting their boot time; null without a scan time or such nodes. */
  uptimeHoursMedian: number | null;
  /** Answer time of answering and degraded nodes, milliseconds. */
  answerMs: { median: number | null; p95: number | null };
  /** Degraded nodes by class; every class is present. */
  degradedByClass: Record<DegradedClass, number>;
  providers: { top: NamedCount[]; others: number; unknown: number };
  countries: { top: NamedCount[]; others: number; unknown: number };
}

export interface HealthInput {
  health?: HealthSignals;
  ms: number;
}

function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The names seen, most frequent first (ties by name), the first TOP_NAMES listed. */
export function topNames(names: readonly (string | null)[], top = TOP_NAMES): FleetHealth['providers'] {
  const counts = new Map<string, number>();
  let unknown = 0;
  for (const name of names) {
    if (name === null) unknown += 1;
    else counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const shown = sorted.slice(0, top).map(([name, nodes]) => ({ name, nodes }));
  const others = sorted.slice(top).reduce((sum, [, nodes]) => sum + nodes, 0);
  return { top: shown, others, unknown };
}

function yesNo(values: readonly (boolean | null)[]): YesNo {
  let yes = 0;
  let no = 0;
  for (const value of values) {
    if (value === true) yes += 1;
    else if (value === false) no += 1;
  }
  return { yes, no };
}

function known(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null);
}

/** Fleet-wide signal values of one scan's results; `nowSeconds` is the scan time (for uptime). */
export function fleetHealth(results: readonly HealthInput[], nowSeconds?: number): FleetHealth {
  const degradedByClass = Object.fromEntries(DEGRADED_CLASSES.map((name) => [name, 0])) as Record<
    DegradedClass,
    number
  >;
  const signals: HealthSignals[] = [];
  const answerMs: number[] = [];
  for (const result of results) {
    if (!result.health) continue;
    answerMs.push(result.ms);
    if (result.health.degraded !== null) degradedByClass[result.health.degraded] += 1;
    else signals.push(result.health);
  }
  const apps = known(signals.map((s) => s.runningApps));
  const lags = known(blockLags(signals.map((s) => s.blocks)));
  const uptimes =
    nowSeconds === undefined ? [] : known(signals.map((s) => uptimeSeconds(s, nowSeconds))).map((s) => s / 3600);
  return {
    reporting: signals.length,
    confirmed: yesNo(signals.map((s) => s.confirmed)),
    benchmarkPassing: yesNo(signals.map((s) => s.benchmarkPassing)),
    apps: { reporting: apps.length, hosting: apps.filter((n) => n > 0).length, total: apps.reduce((a, b) => a + b, 0) },
    peersInMedian: lowerMedian(known(signals.map((s) => s.peersIn))),
    peersOutMedian: lowerMedian(known(signals.map((s) => s.peersOut))),
    blocksMedian: lowerMedian(known(signals.map((s) => s.blocks))),
    behind: { reporting: lags.length, nodes: lags.filter((lag) => lag > SYNC_LAG_BLOCKS).length },
    arcane: signals.filter((s) => s.arcane).length,
    uptimeHoursMedian: lowerMedian(uptimes),
    answerMs: { median: lowerMedian(answerMs), p95: quantile(answerMs, 0.95) },
    degradedByClass,
    providers: topNames(signals.map((s) => s.provider)),
    countries: topNames(signals.map((s) => s.country)),
  };
}
