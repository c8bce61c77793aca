/**
 * `fluxos-preprod simulate --releases [--scenarios all|ID,…] [--runs N]
 * [--harm SHARE] [--seed S] [--nodes N] [--probability P] [--config FILE]
 * [--json]`: the gate validated by simulation (docs/gate.md, whose table is
 * `--scenarios all --runs 200`). The simulation code loads only when asked.
 */
import type { Command } from 'commander';
import { PreprodError } from '../../errors';

export interface ReleaseSimulationCliOptions {
  releases?: boolean;
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
      'with --releases: share of its nodes a harmful release harms',
      parse.fraction('--harm'),
      0.05,
    );
}

/** Runs the release simulation and prints its table (or JSON); resolves with 0 when every target is met, else 1. */
export async function runReleaseSimulation(options: ReleaseSimulationCliOptions, io: SimulationIo): Promise<number> {
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
