/**
 * `fluxos-preprod simulate --releases [--scenarios all|ID,…] [--runs N]
 * [--harm SHARE] [--seed S] [--nodes N] [--probability P] [--config FILE]
 * [--json]`: the gate validated by simulation (docs/gate.md, whose table is
 * `--scenarios all --runs 200`). With `--health`, the health table of
 * docs/health.md instead (releases that keep their nodes answering, judged
 * with the signal criteria too). The simulation code loads only when asked.
 */
import type { Command } from 'commander';
import { PreprodError } from '../../errors';

export interface ReleaseSimulationCliOptions {
  releases?: boolean;
  health?: boolean;
  scenarios?: string[];
  runs: number;
  harm: number;
  seed?: number;
  nodes?: number;
  probability: number;
  config?: string;
  json?: boolean;
}

export interface SimulationIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** The row ids of docs/gate.md's table; kept here so the CLI can check them without loading the simulator. */
export const SCENARIO_IDS = [
  'current',
  'churn2',
  'churn3',
  'provider',
  'nightly',
  'scanner',
  'gap',
  'nodes2000',
  'p003',
  'hotfix',
  'fix',
  'every10m',
  'week',
] as const;

function scenarioList(raw: string): string[] {
  const ids = raw.split(',').map((id) => id.trim());
  const known: readonly string[] = [...SCENARIO_IDS, 'all'];
  const unknown = ids.find((id) => !known.includes(id));
  if (unknown !== undefined)
    throw new PreprodError(
      'usage',
      `Expected \`--scenarios\` to be all or ids from ${SCENARIO_IDS.join(', ')}, ` +
        `got ${JSON.stringify(unknown.slice(0, 40))}.`,
    );
  return ids;
}

/** Adds the --releases options to the `simulate` command; `parse` makes each option's value parser. */
export function addReleaseOptions(
  command: Command,
  parse: {
    whole: (name: string, min: number, max: number) => (raw: string) => number;
    fraction: (name: string) => (raw: string) => number;
  },
): Command {
  return command
    .option(
      '--releases',
      'simulate releases reaching preprod, judged by the gate after every hourly scan (docs/gate.md)',
    )
    .option(
      '--scenarios <ids>',
      `with --releases: table rows, comma-separated, or all (${SCENARIO_IDS.join(', ')}; default current)`,
      scenarioList,
    )
    .option('--runs <n>', 'with --releases: seeded runs per kind of release', parse.whole('--runs', 1, 100_000), 200)
    .option(
      '--harm <share>',
      'with --releases: share of its nodes a harmful release harms (with --health: 0.05 runs 5%, 2% and 1%)',
      parse.fraction('--harm'),
      0.05,
    )
    .option(
      '--health',
      'with --releases: the health table of docs/health.md (apps, benchmark, restarts; rows current, churn2, ' +
        'churn3, provider, nightly, scanner)',
    );
}

/** Runs the release simulation and prints its table (or JSON); resolves with 0 when every target is met, else 1. */
export async function runReleaseSimulation(options: ReleaseSimulationCliOptions, io: SimulationIo): Promise<number> {
  if (options.health) return runHealthSimulation(options, io);
  const [{ readGateSettings }, { simulateReleases, formatReleaseSimulation, allTargetsMet }, { createLoadProgress }] =
    await Promise.all([
      import('../../gate/judge/gateSettings'),
      import('../../gate/sim/simulateReleases'),
      import('../../gate/history/loadProgress'),
    ]);
  const gate = readGateSettings(options.config);
  const progress = createLoadProgress(io.stderr as NodeJS.WriteStream, 'Simulating releases', 1);
  let report: Awaited<ReturnType<typeof simulateReleases>>;
  try {
    report = await simulateReleases({
      runs: options.runs,
      scenarios: options.scenarios,
      seed: options.seed ?? 1,
      nodes: options.nodes,
      probability: options.probability,
      harm: options.harm,
      gate,
      onRun: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReleaseSimulation(report));
  return allTargetsMet(report) ? 0 : 1;
}

/** The rows of docs/health.md's table (the churn rows of docs/gate.md's, hourly scans). */
export const HEALTH_SCENARIO_IDS = ['current', 'churn2', 'churn3', 'provider', 'nightly', 'scanner'] as const;

/** `simulate --releases --health`: the health table; 0 when every target is met, else 1. */
export async function runHealthSimulation(options: ReleaseSimulationCliOptions, io: SimulationIo): Promise<number> {
  const known: readonly string[] = [...HEALTH_SCENARIO_IDS, 'all'];
  const unknown = (options.scenarios ?? []).find((id) => !known.includes(id));
  if (unknown !== undefined)
    throw new PreprodError(
      'usage',
      `Expected \`--scenarios\` with --health to be all or ids from ${HEALTH_SCENARIO_IDS.join(', ')}, ` +
        `got ${JSON.stringify(unknown)}.`,
    );
  if (options.nodes !== undefined || options.probability !== 0.07)
    throw new PreprodError('usage', 'Expected no `--nodes` or `--probability` with --health (13,000 nodes, p = 0.07).');
  const [{ readGateSettings }, health, { createLoadProgress }] = await Promise.all([
    import('../../gate/judge/gateSettings'),
    import('../../gate/sim/healthSimulation'),
    import('../../gate/history/loadProgress'),
  ]);
  const gate = readGateSettings(options.config);
  const progress = createLoadProgress(io.stderr as NodeJS.WriteStream, 'Simulating releases', 1);
  let report: Awaited<ReturnType<typeof health.simulateHealth>>;
  try {
    report = await health.simulateHealth({
      runs: options.runs,
      scenarios: options.scenarios,
      seed: options.seed ?? 1,
      harms: options.harm === 0.05 ? health.HEALTH_HARMS : [options.harm],
      gate,
      onRun: (done, total) => progress.update(done, total),
    });
  } finally {
    progress.stop();
  }
  io.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : health.formatHealthSimulation(report));
  return report.rows.every((row) => row.targets.every((t) => t.pass)) ? 0 : 1;
}
