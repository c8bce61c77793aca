/**
 * The Prometheus metrics of `fleet watch`: the latest scan's figures (preprod
 * share, counts by state, reason, failure kind and release) and the gate's
 * verdict with every criterion. prom-client does the exposition, including
 * the escaping of label values, which here come from strangers' nodes.
 * Label sets are bounded: versions beyond the most common are summed under
 * `other`, so a hostile fleet cannot create thousands of series.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { FleetSummary } from '../../fleet/aggregate';
import type { GateReport } from '../judge/gate';
import type { Verdict } from '../judge/verdict';

/** Versions per state exported by name; the rest go under `other`. */
export const MAX_VERSION_SERIES = 20;
const VERDICTS: readonly Verdict[] = ['promote', 'halt', 'wait', 'inconclusive'];

export interface WatchMetrics {
  registry: Registry;
  /** Sets every gauge from the latest scan and verdict. */
  update(summary: FleetSummary, gate: GateReport | null, scanSeconds: number, at: Date): void;
  recorded(): void;
  recordFailed(): void;
}

function topCounts(counts: Record<string, number>, max: number): [string, number][] {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const top = entries.slice(0, max);
  const rest = entries.slice(max).reduce((sum, [, n]) => sum + n, 0);
  return rest > 0 ? [...top, ['other', rest]] : top;
}

/** Every gauge: name, help and labels, in one table. */
const GAUGES = {
  nodes: ['fluxos_preprod_fleet_nodes', 'Nodes in the latest scan by state.', ['state']],
  share: [
    'fluxos_preprod_fleet_preprod_share',
    'Preprod share of nodes reporting a branch, with its 95% interval.',
    ['bound'],
  ],
  probability: ['fluxos_preprod_fleet_probability', 'The configured preprod probability.', []],
  byReason: [
    'fluxos_preprod_fleet_nodes_by_reason',
    'Preprod and production nodes by the reason they report.',
    ['reason'],
  ],
  failures: ['fluxos_preprod_fleet_failures', 'Nodes without a usable answer by failure kind.', ['kind']],
  byRelease: ['fluxos_preprod_fleet_nodes_by_release', 'Answering nodes by state and version.', ['state', 'version']],
  verdict: [
    'fluxos_preprod_gate_verdict',
    'The gate verdict on the release on preprod: 1 for the current one.',
    ['verdict'],
  ],
  release: ['fluxos_preprod_gate_release_info', 'The release the gate judges.', ['version', 'commit']],
  met: ['fluxos_preprod_gate_criterion_met', 'Whether each gate criterion is met (1) or not (0).', ['criterion']],
  value: ['fluxos_preprod_gate_criterion_value', 'The measured value of each gate criterion.', ['criterion']],
  threshold: ['fluxos_preprod_gate_criterion_threshold', 'The threshold of each gate criterion.', ['criterion']],
  lastScan: ['fluxos_preprod_watch_last_scan_timestamp_seconds', 'When the latest scan started.', []],
  duration: ['fluxos_preprod_watch_scan_duration_seconds', 'How long the latest scan took.', []],
} as const satisfies Record<string, readonly [string, string, readonly string[]]>;

type Gauges = { [K in keyof typeof GAUGES]: Gauge };

function setFleet(g: Gauges, summary: FleetSummary): void {
  const states = { asked: summary.asked, answered: summary.answered, preprod: summary.preprod };
  const more = { production: summary.production, unknown: summary.unknown, failed: summary.failedTotal };
  for (const [state, n] of Object.entries({ ...states, ...more })) g.nodes.set({ state }, n);
  for (const bound of ['value', 'low', 'high'] as const) {
    const v = summary.share[bound];
    if (v !== null) g.share.set({ bound }, v);
  }
  g.probability.set(summary.probability);
  for (const [reason, n] of Object.entries(summary.byReason)) g.byReason.set({ reason }, n);
  for (const [kind, n] of Object.entries(summary.failed)) g.failures.set({ kind }, n);
  for (const state of ['preprod', 'production', 'unknown'] as const) {
    for (const [version, n] of topCounts(summary.versions[state], MAX_VERSION_SERIES))
      g.byRelease.set({ state, version }, n);
  }
}

function setGate(g: Gauges, gate: GateReport): void {
  for (const v of VERDICTS) g.verdict.set({ verdict: v }, gate.verdict === v ? 1 : 0);
  g.release.set({ version: gate.release.version ?? '', commit: gate.release.commit ?? '' }, 1);
  for (const c of gate.criteria) {
    g.met.set({ criterion: c.name }, c.met ? 1 : 0);
    if (c.value !== null) g.value.set({ criterion: c.name }, c.value);
    g.threshold.set({ criterion: c.name }, c.threshold);
  }
}

export function createWatchMetrics(): WatchMetrics {
  const registry = new Registry();
  const g = Object.fromEntries(
    Object.entries(GAUGES).map(([key, [name, help, labels]]) => [
      key,
      new Gauge({ name, help, labelNames: [...labels], registers: [registry] }),
    ]),
  ) as Gauges;
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  const scans = counter('fluxos_preprod_watch_scans_total', 'Scans recorded in the history.');
  const failed = counter('fluxos_preprod_watch_record_failures_total', 'Scans that could not be recorded.');
  const update: WatchMetrics['update'] = (summary, gate, scanSeconds, at) => {
    // Series of the previous scan that this one lacks (a version gone, a reason no longer seen) must go.
    for (const gauge of Object.values(g)) gauge.reset();
    setFleet(g, summary);
    if (gate !== null) setGate(g, gate);
    g.lastScan.set(at.getTime() / 1000);
    g.duration.set(scanSeconds);
  };
  return { registry, update, recorded: () => scans.inc(), recordFailed: () => failed.inc() };
}
