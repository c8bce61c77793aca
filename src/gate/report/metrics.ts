/**
 * The Prometheus metrics of `fleet watch` (docs/gate-operations.md): the latest
 * scan's figures and the gate's verdict with every criterion. prom-client does
 * the exposition, including the escaping of label values, which here come
 * from strangers' nodes. Rules: `fleet_nodes{state}` is a partition (its
 * series add up to the nodes asked, none overlaps another); a share is a
 * `_ratio`; every metric name has one unit; label sets are bounded (versions
 * beyond the most common are summed under `other`), so a hostile fleet
 * cannot create thousands of series.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { FleetSummary } from '../../fleet/aggregate';
import type { GateReport } from '../judge/gate';
import { reportFacts, SHOWN_VERDICTS, type ShownVerdict } from './facts';

import { MAX_VERSION_SERIES, topCounts } from './seriesCap';

export { MAX_VERSION_SERIES, topCounts } from './seriesCap';

export interface WatchMetrics {
  registry: Registry;
  /** Sets every gauge from the latest scan and verdict (null: no verdict, e.g. the evaluation failed). */
  update(summary: FleetSummary, gate: GateReport | null, scanSeconds: number, at: Date): void;
  recorded(): void;
  recordFailed(): void;
  evaluationFailed(): void;
}

/** The unit of a criterion's value and threshold, from its name: one metric name per unit. */
export function criterionUnit(name: string): 'hours' | 'node_hours' | 'nodes' | 'scans' | 'ratio' {
  if (name.includes('node-hours')) return 'node_hours';
  if (name.includes('hours')) return 'hours';
  if (name.includes('nodes')) return 'nodes';
  if (name.includes('scans')) return 'scans';
  return 'ratio';
}

const CRITERION_UNITS = ['hours', 'node_hours', 'nodes', 'scans', 'ratio'] as const;
const P = 'fluxos_preprod_';

/** Every gauge: name, help and labels, in one table. */
const GAUGES = {
  nodes: [`${P}fleet_nodes`, 'Nodes in the latest scan by state; the states add up to the nodes asked.', ['state']],
  asked: [`${P}fleet_asked_nodes`, 'Nodes the latest scan asked.', []],
  share: [`${P}fleet_preprod_ratio`, 'Preprod share of nodes reporting a branch, with its 95% interval.', ['bound']],
  probability: [`${P}fleet_probability_ratio`, 'The configured preprod probability.', []],
  byReason: [`${P}fleet_nodes_by_reason`, 'Preprod and production nodes by the reason they report.', ['reason']],
  failures: [`${P}fleet_failures`, 'Nodes without a usable answer by failure kind.', ['kind']],
  byRelease: [
    `${P}fleet_nodes_by_release`,
    'Answering nodes by state and version (top 20, rest `other`).',
    ['state', 'version'],
  ],
  verdict: [`${P}gate_verdict`, 'The gate verdict on the release on preprod: 1 for the current one.', ['verdict']],
  release: [`${P}gate_release_info`, 'The release the gate judges.', ['version', 'commit']],
  met: [`${P}gate_criterion_met`, 'Whether each gate criterion is met (1) or not (0).', ['criterion']],
  darkNodes: [`${P}gate_dark_nodes`, 'Nodes gone dark, in the release group and in production.', ['group']],
  groupNodes: [`${P}gate_group_nodes`, 'Nodes in the release group and in production, for the dark share.', ['group']],
  fallbacks: [`${P}gate_fallback_nodes`, 'Release nodes that fell back, by reason.', ['reason']],
  fallbackOf: [`${P}gate_fallback_group_nodes`, 'Release nodes a fallback share is taken of, by reason.', ['reason']],
  darkDiff: [`${P}gate_dark_difference_ratio`, 'Dark share, release minus production, with its interval.', ['bound']],
  fallbackShare: [`${P}gate_fallback_ratio`, 'Crash-loop fallback share with its interval.', ['bound']],
  lastScanAge: [`${P}gate_last_scan_age_seconds`, 'Age of the latest scan when the gate judged it.', []],
  lastScan: [`${P}watch_last_scan_timestamp_seconds`, 'When the latest scan started.', []],
  duration: [`${P}watch_scan_duration_seconds`, 'How long the latest scan took.', []],
  ...Object.fromEntries(
    CRITERION_UNITS.map((unit) => [
      `criterion_${unit}`,
      [
        `${P}gate_criterion_${unit}`,
        `Value and threshold of each gate criterion measured in ${unit}.`,
        ['criterion', 'of'],
      ],
    ]),
  ),
} as Record<string, readonly [string, string, readonly string[]]>;

type Gauges = Record<string, Gauge>;

function setFleet(g: Gauges, summary: FleetSummary): void {
  const states = { preprod: summary.preprod, production: summary.production, unknown: summary.unknown };
  const partition = { ...states, degraded: summary.degraded, failed: summary.failedTotal };
  for (const [state, n] of Object.entries(partition)) g.nodes.set({ state }, n);
  g.asked.set(summary.asked);
  const bounds = { estimate: summary.share.value, low: summary.share.low, high: summary.share.high };
  for (const [bound, v] of Object.entries(bounds)) if (v !== null) g.share.set({ bound }, v);
  g.probability.set(summary.probability);
  for (const [reason, n] of Object.entries(summary.byReason)) g.byReason.set({ reason }, n);
  for (const [kind, n] of Object.entries(summary.failed)) g.failures.set({ kind }, n);
  for (const state of ['preprod', 'production', 'unknown'] as const) {
    for (const [version, n] of topCounts(summary.versions[state], MAX_VERSION_SERIES))
      g.byRelease.set({ state, version }, n);
  }
}

function setGate(g: Gauges, gate: GateReport): void {
  for (const v of SHOWN_VERDICTS) g.verdict.set({ verdict: v }, (gate.verdict as ShownVerdict) === v ? 1 : 0);
  g.release.set({ version: gate.release.version ?? '', commit: gate.release.commit ?? '' }, 1);
  for (const c of gate.criteria) {
    g.met.set({ criterion: c.name }, c.met ? 1 : 0);
    const gauge = g[`criterion_${criterionUnit(c.name)}`];
    if (c.value !== null) gauge.set({ criterion: c.name, of: 'value' }, c.value);
    gauge.set({ criterion: c.name, of: 'threshold' }, c.threshold);
  }
  const { dark, crashLoops, switchFailures } = gate.evidence;
  g.darkNodes.set({ group: 'release' }, dark.release.dark);
  g.darkNodes.set({ group: 'production' }, dark.baseline.dark);
  g.groupNodes.set({ group: 'release' }, dark.release.nodes);
  g.groupNodes.set({ group: 'production' }, dark.baseline.nodes);
  g.fallbacks.set({ reason: 'crash-loop' }, crashLoops.count);
  g.fallbacks.set({ reason: 'switch-failed' }, switchFailures.count);
  g.fallbackOf.set({ reason: 'crash-loop' }, crashLoops.of);
  g.fallbackOf.set({ reason: 'switch-failed' }, switchFailures.of);
  const facts = reportFacts(gate);
  for (const [key, gauge] of [
    ['darkDifference', g.darkDiff],
    ['fallbackShare', g.fallbackShare],
  ] as const) {
    const e = facts.estimates[key];
    if (e !== null) for (const bound of ['estimate', 'low', 'high'] as const) gauge.set({ bound }, e[bound]);
  }
  if (facts.lastScanAgeHours !== null) g.lastScanAge.set(facts.lastScanAgeHours * 3600);
}

export function createWatchMetrics(): WatchMetrics {
  const registry = new Registry();
  const g: Gauges = Object.fromEntries(
    Object.entries(GAUGES).map(([key, [name, help, labels]]) => [
      key,
      new Gauge({ name, help, labelNames: [...labels], registers: [registry] }),
    ]),
  );
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const scans = counter(`${P}watch_scans_total`, 'Scans recorded in the history.');
  const failed = counter(`${P}watch_record_failures_total`, 'Scans that could not be recorded.');
  const evaluation = counter(`${P}gate_evaluation_errors_total`, 'Times the gate could not judge the history.');
  const update: WatchMetrics['update'] = (summary, gate, scanSeconds, at) => {
    // Series of the previous scan that this one lacks (a version gone, a reason no longer seen) must go.
    for (const gauge of Object.values(g)) gauge.reset();
    setFleet(g, summary);
    if (gate !== null) setGate(g, gate);
    g.lastScan.set(at.getTime() / 1000);
    g.duration.set(scanSeconds);
  };
  return {
    registry,
    update,
    recorded: () => scans.inc(),
    recordFailed: () => failed.inc(),
    evaluationFailed: () => evaluation.inc(),
  };
}
