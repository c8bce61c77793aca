/**
 * `simulate --releases`: seeded runs of healthy and harmful releases on a
 * simulated fleet, judged by the real gate after every hourly scan, and a
 * table of how often a healthy release is halted and how soon a harmful one
 * is (docs/gate.md). Pure apart from the time it takes.
 */
import { wilsonInterval } from '../../stats/wilson';
import type { GateSettings } from '../judge/gateSettings';
import { ASSUMPTIONS, type FleetAssumptions, type ReleaseScenario } from './assumptions';
import { runRelease, type RunOutcome } from './releaseRun';

export interface ReleaseSimulationOptions {
  runs: number;
  seed: number;
  nodes?: number;
  probability?: number;
  /** Share of its nodes a harmful release harms. Default 0.05. */
  harm?: number;
  gate: GateSettings;
  /** Called after every run with the runs done and in all. */
  onRun?: (done: number, total: number) => void;
}

export interface Share {
  count: number;
  of: number;
  /** The share and its 95% Wilson interval. */
  value: number;
  low: number;
  high: number;
}

export interface ScenarioSummary {
  scenario: ReleaseScenario;
  name: string;
  runs: number;
  halted: Share;
  haltedWithin24h: Share;
  promoted: Share;
  /** Hours from reaching preprod to a halt (median and 95th percentile of the halted runs). */
  hoursToHalt: { median: number | null; p95: number | null };
  hoursToPromote: { median: number | null; p95: number | null };
  /** Hours from the push to the scan where the release reached preprod (median). */
  reachedAfterPush: number | null;
}

export interface ReleaseSimulationReport {
  assumptions: FleetAssumptions;
  gate: GateSettings;
  runs: number;
  seed: number;
  scenarios: ScenarioSummary[];
  targets: { label: string; measured: string; pass: boolean }[];
}

export function share(count: number, of: number): Share {
  const interval = wilsonInterval(count, of);
  return { count, of, value: of === 0 ? 0 : count / of, low: interval?.low ?? 0, high: interval?.high ?? 1 };
}

/** The q-quantile (0..1) of sorted values by the nearest-rank method; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function scenarioName(s: ReleaseScenario): string {
  return s.kind === 'healthy' ? 'healthy' : `${s.kind} ${Number((s.harm * 100).toFixed(2))}%`;
}

export function summarise(scenario: ReleaseScenario, outcomes: readonly RunOutcome[]): ScenarioSummary {
  const hours = (verdict: string) =>
    outcomes
      .filter((o) => o.verdict === verdict && o.hoursAfterReach !== null)
      .map((o) => o.hoursAfterReach as number)
      .sort((a, b) => a - b);
  const halt = hours('halt');
  const promote = hours('promote');
  const reached = outcomes
    .flatMap((o) => (o.reachedAfterPush === null ? [] : [o.reachedAfterPush]))
    .sort((a, b) => a - b);
  return {
    scenario,
    name: scenarioName(scenario),
    runs: outcomes.length,
    halted: share(halt.length, outcomes.length),
    haltedWithin24h: share(halt.filter((h) => h <= 24).length, outcomes.length),
    promoted: share(promote.length, outcomes.length),
    hoursToHalt: { median: quantile(halt, 0.5), p95: quantile(halt, 0.95) },
    hoursToPromote: { median: quantile(promote, 0.5), p95: quantile(promote, 0.95) },
    reachedAfterPush: quantile(reached, 0.5),
  };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function targetsOf(summaries: readonly ScenarioSummary[]): ReleaseSimulationReport['targets'] {
  const healthy = summaries.find((s) => s.scenario.kind === 'healthy');
  const targets: ReleaseSimulationReport['targets'] = [];
  if (healthy) {
    const h = healthy.halted;
    const measured = `${percent(h.value)} (95% CI ${percent(h.low)}–${percent(h.high)})`;
    targets.push({ label: 'a healthy release is halted in ≤ 5% of runs', measured, pass: h.value <= 0.05 });
  }
  for (const s of summaries.filter((x) => x.scenario.kind !== 'healthy')) {
    const w = s.haltedWithin24h;
    const measured = `${percent(w.value)} (95% CI ${percent(w.low)}–${percent(w.high)})`;
    targets.push({
      label: `${s.name}: halted within 24 h of reaching preprod in ≥ 95% of runs`,
      measured,
      pass: w.value >= 0.95,
    });
  }
  return targets;
}

/**
 * Runs `runs` seeded runs of a healthy release, one that darkens and one that
 * crash-loops `harm` of its nodes. Yields to the event loop between runs so a
 * progress bar can draw and a signal can land.
 */
export async function simulateReleases(options: ReleaseSimulationOptions): Promise<ReleaseSimulationReport> {
  const assumptions: FleetAssumptions = {
    ...ASSUMPTIONS,
    nodes: options.nodes ?? ASSUMPTIONS.nodes,
    probability: options.probability ?? ASSUMPTIONS.probability,
  };
  const harm = options.harm ?? 0.05;
  const scenarios: ReleaseScenario[] = [
    { kind: 'healthy', harm: 0 },
    { kind: 'darken', harm },
    { kind: 'crash-loop', harm },
  ];
  const total = scenarios.length * options.runs;
  let done = 0;
  const summaries: ScenarioSummary[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const outcomes: RunOutcome[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      // Seeds differ per run and scenario and stay below 2^32.
      const seed = (options.seed + index * 1_000_003 + run * 7919) % 0x1_0000_0000;
      outcomes.push(runRelease(assumptions, scenario, options.gate, seed));
      done += 1;
      options.onRun?.(done, total);
      await new Promise((resolve) => setImmediate(resolve));
    }
    summaries.push(summarise(scenario, outcomes));
  }
  return {
    assumptions,
    gate: options.gate,
    runs: options.runs,
    seed: options.seed,
    scenarios: summaries,
    targets: targetsOf(summaries),
  };
}

function shareCell(s: Share): string {
  return `${percent(s.value)} (${percent(s.low)}–${percent(s.high)})`;
}

function hoursCell(h: { median: number | null; p95: number | null }): string {
  return h.median === null ? '–' : `${h.median} / ${h.p95}`;
}

/** The report as a Markdown table (it pastes into the README) plus the targets. */
export function formatReleaseSimulation(report: ReleaseSimulationReport): string {
  const a = report.assumptions;
  const g = report.gate;
  const lines = [
    `${report.runs} seeded runs per release (seed ${report.seed}), ${a.nodes} nodes, probability ${a.probability}, ` +
      `hourly scans; gate: confidence ${g.confidence}, dark margin ${g.darkMargin}, ` +
      `crash-loop ceiling ${g.maxCrashLoopShare}, soak ${g.minSoakHours} h`,
    '',
    '| release | halted | halted ≤ 24 h after reaching preprod | hours to halt (median / p95) ' +
      '| promoted by 96 h | hours to promote (median / p95) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of report.scenarios) {
    lines.push(
      `| ${s.name} | ${shareCell(s.halted)} | ${shareCell(s.haltedWithin24h)} | ${hoursCell(s.hoursToHalt)} | ` +
        `${shareCell(s.promoted)} | ${hoursCell(s.hoursToPromote)} |`,
    );
  }
  lines.push('', 'Shares with 95% Wilson intervals. Targets:');
  for (const t of report.targets) lines.push(`${t.pass ? 'PASS' : 'FAIL'}  ${t.label}: ${t.measured}`);
  return `${lines.join('\n')}\n`;
}
