/**
 * The Prometheus metrics of `fleet watch`: the latest scan's figures (preprod
 * share, counts by state, reason, failure kind and release) and the gate's
 * verdict with every criterion. prom-client does the exposition, including
 * the escaping of label values, which here come from strangers' nodes.
 * Label sets are bounded: versions beyond the most common are summed under
 * `other`, so a hostile fleet cannot create thousands of series.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { FleetSummary } from '../fleet/aggregate';
import type { GateReport } from './gate';
import type { Verdict } from './verdict';

/** Versions per state exported by name; the rest go under `other`. */
export const MAX_VERSION_SERIES = 20;
const VERDICTS: readonly Verdict[] = ['promote', 'halt', 'wait'];

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

export function createWatchMetrics(): WatchMetrics {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const nodes = gauge('fluxos_preprod_fleet_nodes', 'Nodes in the latest scan by state.', ['state']);
  const share = gauge(
    'fluxos_preprod_fleet_preprod_share',
    'Preprod share of nodes reporting a branch, with its 95% interval.',
    ['bound'],
  );
  const probability = gauge('fluxos_preprod_fleet_probability', 'The configured preprod probability.');
  const byReason = gauge(
    'fluxos_preprod_fleet_nodes_by_reason',
    'Preprod and production nodes by the reason they report.',
    ['reason'],
  );
  const failures = gauge('fluxos_preprod_fleet_failures', 'Nodes without a usable answer by failure kind.', ['kind']);
  const byRelease = gauge('fluxos_preprod_fleet_nodes_by_release', 'Answering nodes by state and version.', [
    'state',
    'version',
  ]);
  const verdict = gauge(
    'fluxos_preprod_gate_verdict',
    'The gate verdict on the release on preprod: 1 for the current one.',
    ['verdict'],
  );
  const release = gauge('fluxos_preprod_gate_release_info', 'The release the gate judges.', ['version', 'commit']);
  const met = gauge('fluxos_preprod_gate_criterion_met', 'Whether each gate criterion is met (1) or not (0).', [
    'criterion',
  ]);
  const value = gauge('fluxos_preprod_gate_criterion_value', 'The measured value of each gate criterion.', [
    'criterion',
  ]);
  const threshold = gauge('fluxos_preprod_gate_criterion_threshold', 'The threshold of each gate criterion.', [
    'criterion',
  ]);
  const lastScan = gauge('fluxos_preprod_watch_last_scan_timestamp_seconds', 'When the latest scan started.');
  const duration = gauge('fluxos_preprod_watch_scan_duration_seconds', 'How long the latest scan took.');
  const scans = new Counter({
    name: 'fluxos_preprod_watch_scans_total',
    help: 'Scans recorded in the history.',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'fluxos_preprod_watch_record_failures_total',
    help: 'Scans that could not be recorded.',
    registers: [registry],
  });

  const update: WatchMetrics['update'] = (summary, gate, scanSeconds, at) => {
    for (const g of [nodes, share, byReason, failures, byRelease, verdict, release, met, value, threshold]) g.reset();
    const states = {
      asked: summary.asked,
      answered: summary.answered,
      preprod: summary.preprod,
      production: summary.production,
    };
    for (const [state, n] of Object.entries({ ...states, unknown: summary.unknown, failed: summary.failedTotal }))
      nodes.set({ state }, n);
    for (const bound of ['value', 'low', 'high'] as const) {
      const v = summary.share[bound];
      if (v !== null) share.set({ bound }, v);
    }
    probability.set(summary.probability);
    for (const [reason, n] of Object.entries(summary.byReason)) byReason.set({ reason }, n);
    for (const [kind, n] of Object.entries(summary.failed)) failures.set({ kind }, n);
    for (const state of ['preprod', 'production', 'unknown'] as const) {
      for (const [version, n] of topCounts(summary.versions[state], MAX_VERSION_SERIES))
        byRelease.set({ state, version }, n);
    }
    if (gate !== null) {
      for (const v of VERDICTS) verdict.set({ verdict: v }, gate.verdict === v ? 1 : 0);
      release.set({ version: gate.release.version ?? '', commit: gate.release.commit ?? '' }, 1);
      for (const c of gate.criteria) {
        met.set({ criterion: c.name }, c.met ? 1 : 0);
        if (c.value !== null) value.set({ criterion: c.name }, c.value);
        threshold.set({ criterion: c.name }, c.threshold);
      }
    }
    lastScan.set(at.getTime() / 1000);
    duration.set(scanSeconds);
  };
  return { registry, update, recorded: () => scans.inc(), recordFailed: () => failed.inc() };
}
