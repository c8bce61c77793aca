/**
 * `simulate --releases --health`: the health table of docs/health.md. Seeded
 * runs of releases that keep their nodes answering while they stop apps,
 * fail benchmarks or restart FluxOS past the health mark, on the churn rows
 * of the gate table (variants.ts), judged by the real gate with the signal
 * criteria at every hourly look. Pure apart from the time it takes.
 */
import type { GateSettings } from '../judge/gateSettings';
import { HEALTH_ASSUMPTIONS, HEALTH_HARM_KINDS, type HealthScenario } from './healthAssumptions';
import { type HealthRunOutcome, runHealthRelease } from './healthRun';
import { quantile, type Share, share, type Target } from './simulateReleases';
import { disturbancesOf, fleetOf, VARIANTS, type Variant } from './variants';

/** The gate table's rows the health table repeats: hourly scans, churn and outages (issue 17). */
export const HEALTH_VARIANT_IDS = ['current', 'churn2', 'churn3', 'provider', 'nightly', 'scanner'] as const;

/** The harms of issue 20: 5%, 2% and 1% of the release's nodes. */
export const HEALTH_HARMS = [0.05, 0.02, 0.01] as const;

const KIND_NAMES = {
  healthy: 'healthy',
  apps: 'apps stopped',
  benchmark: 'benchmark failed',
  restarts: 'restarts past the health mark',
} as const;

export function healthScenarioName(s: HealthScenario): string {
  return s.kind === 'healthy' ? 'healthy' : `${KIND_NAMES[s.kind]} ${Number((s.harm * 100).toFixed(2))}%`;
}

export interface HealthRow {
  variant: Variant;
  scenario: HealthScenario;
  setup: string;
  release: string;
}

/** Every (row, release) of the health table, in order; the table, its test and docs/health.md share it. */
export function healthLayout(variants: readonly Variant[], harms: readonly number[] = HEALTH_HARMS): HealthRow[] {
  const scenarios: HealthScenario[] = [
    { kind: 'healthy', harm: 0 },
    ...harms.flatMap((harm) => HEALTH_HARM_KINDS.map((kind) => ({ kind, harm }))),
  ];
  return variants.flatMap((variant) =>
    scenarios.map((scenario) => ({ variant, scenario, setup: variant.name, release: healthScenarioName(scenario) })),
  );
}

/** The health table's variants among the ids asked for ('all': every one). */
export function healthVariants(ids: readonly string[] = ['current']): Variant[] {
  const all: readonly string[] = HEALTH_VARIANT_IDS;
  return VARIANTS.filter((v) => all.includes(v.id) && (ids.includes('all') || ids.includes(v.id)));
}

export interface HealthSummary {
  variant: string;
  setup: string;
  scenario: HealthScenario;
  name: string;
  runs: number;
  halted: Share;
  haltedWithin24h: Share;
  haltedWithin48h: Share;
  promotedBy96h: Share;
  promoted: Share;
  /** Runs halted with some signal's `.lower` criterion unmet (the rest halted on dark, crash-loop or switch-fail). */
  haltedBySignals: number;
  hoursToHalt: number | null;
  hoursToPromote: number | null;
  targets: Target[];
}

function median(values: (number | null)[]): number | null {
  const sorted = values.flatMap((v) => (v === null ? [] : [v])).sort((a, b) => a - b);
  const m = quantile(sorted, 0.5);
  return m === null ? null : Math.round(m * 10) / 10;
}

/** The targets of issue 20 for one row: by the harm's size (5% or more, 2% or more, less). */
export function healthTargets(s: Omit<HealthSummary, 'targets'>): Target[] {
  const { kind, harm } = s.scenario;
  if (kind === 'healthy')
    return [
      { label: 'false halts ≤ 1%', pass: s.halted.value <= 0.01 },
      { label: 'promoted by 96 h ≥ 90%', pass: s.promotedBy96h.value >= 0.9 },
    ];
  if (harm >= 0.05) return [{ label: 'halted ≤ 24 h ≥ 95%', pass: s.haltedWithin24h.value >= 0.95 }];
  if (harm >= 0.02) return [{ label: 'halted ≤ 48 h ≥ 90%', pass: s.haltedWithin48h.value >= 0.9 }];
  return [{ label: 'promoted ≤ 10%', pass: s.promoted.value <= 0.1 }];
}

export function summariseHealth(row: HealthRow, outcomes: readonly HealthRunOutcome[]): HealthSummary {
  const n = outcomes.length;
  const count = (test: (o: HealthRunOutcome) => boolean) => share(outcomes.filter(test).length, n);
  const halted = (within: number) => (o: HealthRunOutcome) => o.haltedAfter !== null && o.haltedAfter <= within;
  const summary = {
    variant: row.variant.id,
    setup: row.setup,
    scenario: row.scenario,
    name: row.release,
    runs: n,
    halted: count(halted(Infinity)),
    haltedWithin24h: count(halted(24)),
    haltedWithin48h: count(halted(48)),
    promotedBy96h: count((o) => o.promotedAfter !== null && (o.reachedAfterPush ?? 0) + o.promotedAfter <= 96),
    promoted: count((o) => o.promotedAfter !== null),
    haltedBySignals: outcomes.filter((o) => o.haltedAfter !== null && o.haltedBySignals.length > 0).length,
    hoursToHalt: median(outcomes.map((o) => o.haltedAfter)),
    hoursToPromote: median(outcomes.map((o) => o.promotedAfter)),
  };
  return { ...summary, targets: healthTargets(summary) };
}

/** Seeds differ per run and row and stay below 2^32 (the scheme of simulateReleases). */
export function healthSeed(seed: number, index: number, run: number): number {
  return (seed + index * 1_000_003 + run * 7919) % 0x1_0000_0000;
}

/** One row's runs, `runs` from `from` (so a row can be split across processes with the same seeds). */
export function runHealthRow(row: HealthRow, index: number, seed: number, gate: GateSettings, runs: number, from = 0) {
  return Array.from({ length: runs }, (_, r) =>
    runHealthRelease(
      fleetOf(row.variant),
      HEALTH_ASSUMPTIONS,
      row.scenario,
      gate,
      healthSeed(seed, index, from + r),
      disturbancesOf(row.variant),
    ),
  );
}

export interface HealthSimulationOptions {
  runs: number;
  seed: number;
  /** Variant ids of HEALTH_VARIANT_IDS or 'all'; default the current setup. */
  scenarios?: readonly string[];
  /** Harms of the harmful releases; default 5%, 2%, 1%. */
  harms?: readonly number[];
  gate: GateSettings;
  onRun?: (done: number, total: number) => void;
}

export interface HealthSimulationReport {
  runs: number;
  seed: number;
  rows: HealthSummary[];
}

export async function simulateHealth(options: HealthSimulationOptions): Promise<HealthSimulationReport> {
  const layout = healthLayout(healthVariants(options.scenarios), options.harms);
  const total = layout.length * options.runs;
  let done = 0;
  const rows: HealthSummary[] = [];
  for (const [index, row] of layout.entries()) {
    const outcomes: HealthRunOutcome[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      outcomes.push(...runHealthRow(row, index, options.seed, options.gate, 1, run));
      done += 1;
      options.onRun?.(done, total);
      await new Promise((resolve) => setImmediate(resolve));
    }
    rows.push(summariseHealth(row, outcomes));
  }
  return { runs: options.runs, seed: options.seed, rows };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const cell = (s: Share) => `${percent(s.value)} (${s.count}/${s.of})`;

export const HEALTH_TABLE_HEADER =
  '| setup | release judged | halted, any look | halted ≤ 24 h | halted ≤ 48 h | promoted by 96 h ' +
  '| promoted, any look | halts on a signal | median h to halt / promote | targets |';

export function formatHealthSimulation(report: HealthSimulationReport): string {
  const lines = [
    `${report.runs} seeded runs per row (seed ${report.seed}); hourly scans; the gate's criteria and the signal ` +
      'criteria of docs/health.md at every look (halting: α 0.01 over 8 signals and 7 strata; promoting: the ' +
      "gate's 1 − confidence, 0.05, per signal)",
    '',
    HEALTH_TABLE_HEADER,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of report.rows) {
    const targets = s.targets.map((t) => `${t.pass ? 'PASS' : 'FAIL'} ${t.label}`).join('; ');
    lines.push(
      `| ${s.setup} | ${s.name} | ${cell(s.halted)} | ${cell(s.haltedWithin24h)} | ${cell(s.haltedWithin48h)} | ` +
        `${cell(s.promotedBy96h)} | ${cell(s.promoted)} | ${s.haltedBySignals} | ` +
        `${s.hoursToHalt ?? '–'} / ${s.hoursToPromote ?? '–'} | ${targets} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
