/**
 * `fluxos-preprod simulate --releases [--runs N] [--harm SHARE] [--seed S]
 * [--nodes N] [--probability P] [--config FILE] [--json]`: the gate validated
 * by simulation (docs/gate.md). The simulation code loads only when asked.
 */
import type { Command } from 'commander';

export interface ReleaseSimulationCliOptions {
  releases?: boolean;
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
  const [{ readGateSettings }, { simulateReleases, formatReleaseSimulation }, { createLoadProgress }] =
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
  return report.targets.every((t) => t.pass) ? 0 : 1;
}
